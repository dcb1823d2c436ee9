"""Merging a lead into another lead or a customer (DOMAIN §1): the survivor keeps every
touchpoint and contact method, and the merge is audited."""
from __future__ import annotations

from crm_common.kernel.refusals import NotFound, Refusal
from crm_common.paging import new_id

from ..dedup import companies
from ..leads import states


def merge(rt, session, merged_id: str, into_id: str, into_kind: str, actor) -> dict:
    """Merge the lead `merged_id` into `into_id`, a lead or a customer, by `actor` (who may, and which
    leads may be merged away: leads/states.py). -> the audit record."""
    now = rt.clock.now()
    # a lead gone meanwhile is no open lead
    merged = rt.db.leads.find_one({"_id": merged_id}, session=session) or {"_id": merged_id, "status": None}
    changes = states.transition(merged, "merge", actor, now=now, into_id=into_id, into_kind=into_kind)
    if isinstance(changes, Refusal):
        raise changes
    moved = merged.get("touchpoint_count", 0)
    if into_kind == "lead":
        # update_one, not find_one_and_update: SecantusDB answers findAndModify with a collection scan.
        found = rt.db.leads.update_one({"_id": into_id, "status": {"$ne": "merged"}}, {
            "$inc": {"touchpoint_count": moved},
            "$addToSet": {k: {"$each": merged.get(k, [])} for k in ("phones", "emails", "wechat_ids", "offered_keys")},
            "$set": {"updated_at": now}}, session=session).matched_count > 0
        # the merged lead's touchpoints are the survivor's too, and stay listed under the merged lead
        joined = {"$addToSet": {"lead_ids": into_id}}
    else:
        found = rt.db.customers.find_one({"_id": into_id}, {"_id": 1}, session=session) is not None
        joined = {"$set": {"customer_id": into_id}}
    if not found:
        raise NotFound(f"no such {into_kind} to merge into", errors=[{"field": "into_id", "message": "unknown"}])
    rt.db.touchpoints.update_many({"lead_ids": merged_id}, joined, session=session)
    rt.db.leads.update_one({"_id": merged_id}, {"$set": changes}, session=session)
    rt.db.identity_keys.update_many({"record_id": merged_id}, {"$set": {"kind": into_kind, "record_id": into_id}},
                                    session=session)
    companies.remove(rt.db, session, "lead", merged_id)
    audit = {"_id": new_id(), "merged_id": merged_id, "survivor_id": into_id, "survivor_kind": into_kind,
             "by": actor.user_id, "touchpoints_moved": moved, "merged_at": now}
    rt.db.merges.insert_one(audit, session=session)
    rt.publish(session, rt.event("crm.lead.merged", merged_id, {
        **{k: v for k, v in audit.items() if k != "_id"}, "merged_at": now.isoformat()}))
    return audit

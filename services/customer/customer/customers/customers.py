"""The customer aggregate: creation and the one path every change is saved through.

`save` bumps the version (the ETag), refreshes derived fields, keeps the
contact identity keys unique, and publishes the change's events with the
customer's snapshot in the same transaction (transactional outbox).
"""
from __future__ import annotations

import copy

from crm_common import concurrency, queries
from crm_common.kernel.refusals import Conflict, NotFound, Stale
from crm_common.paging import new_id

from ..opportunities import rules as deals
from ..pipelines import pipelines, stages
from ..sales import lifecycle
from ..contracts import withdrawal as contract_withdrawal
from ..quotes import withdrawal as quote_withdrawal
from ..tasks import follow as task_scope
from . import contacts, dedup, derived, lead_keys

DEFAULT_LEVEL = "C"


def now(rt):
    """The clock's time at MongoDB's precision (ms), so a response shows what a later read will."""
    current = rt.clock.now()
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def new_customer(rt, session, fields: dict, owner: dict, *, source_lead_id: str | None = None) -> dict:
    at = now(rt)
    pipeline = pipelines.get(rt, fields.get("pipeline_id") or pipelines.DEFAULT_ID, session)
    customer = {
        "level": DEFAULT_LEVEL, "tags": [], "kind": "company", **fields,
        "_id": new_id(), "owner_id": owner["_id"], "department_id": owner.get("department_id"),
        "department_path": owner.get("department_path", []), "collaborator_ids": [],
        "contacts": [contacts.complete(contacts.normalised(c)) for c in fields.get("contacts", [])],
        "pipeline_id": pipeline["_id"], "stage": pipeline["stages"][0]["key"],
        "stage_entered_at": at, "lifecycle": None, "milestones": {}, "qualification": None,
        "claim_count": 0, "followup_count": 0, "last_followup_at": None, "next_contact_at": None,
        "contract_count": 0, "purchases": 0, "order_total": 0, "paid_total": 0,
        "source_lead_id": source_lead_id, "in_pool": False, "created_at": at, "updated_at": at, "version": 1,
        **deals.customer_fields([]),
    }
    lifecycle.reclassify(customer, "created")
    return customer


def insert(rt, session, customer: dict, *, by: str, strict_keys: bool = True, visible=None) -> dict:
    """Store a new customer and publish crm.customer.created (and its first lifecycle class)."""
    pipeline = pipelines.get(rt, customer["pipeline_id"], session)
    derived.refresh(customer, deal_closed=stages.is_closed(pipeline, customer["stage"]))
    _claim_keys(rt, session, customer, [], strict=strict_keys, visible=visible)
    if strict_keys:
        dedup.refuse_new(rt, session, customer, None, visible)
    rt.db.customers.insert_one(customer, session=session)
    created = {"source_lead_id": customer["source_lead_id"], "created_at": customer["created_at"].isoformat(),
               "by": by}
    _publish(rt, session, customer, [("crm.customer.created", created)] + _lifecycle_event(rt, None, customer))
    return customer


def change(rt, customer_id: str, mutate, *, scope: dict, expected=None, made: dict | None = None) -> dict:
    """Load the customer in `scope`, let `mutate(session, customer)` change it and return its events, save.

    `made` is a record `mutate` fills in (a follow-up, a contract): it is kept with the change, so a
    retried request whose first reply was lost answers with the one made then (idempotency.keep_result)."""
    def work(session):
        before = queries.find_one(rt.db.customers, {"_id": customer_id, **scope}, session)
        if before is None:
            raise NotFound("no such customer")  # the same answer whether it exists or is out of scope
        concurrency.check(before, expected)
        after = copy.deepcopy(before)
        events = mutate(session, after) or []
        if after == before and all(name == "crm.customer.updated" for name, _ in events):
            return before, made  # an edit that changes nothing keeps the version: other editors' ETags stay good
        return save(rt, session, before, after, events, visible=scope), made
    customer, kept = rt.transaction(work)
    if made is not None:
        made.update(kept)  # the same, or in a retry the one the first attempt made
    return customer


def save(rt, session, before: dict, after: dict, events: list, *, visible=None, caused_by=None) -> dict:
    pipeline = pipelines.get(rt, after["pipeline_id"], session)
    contacts.keep_opt_outs(before, after)
    derived.refresh(after, deal_closed=stages.is_closed(pipeline, after["stage"]))
    after["version"], after["updated_at"] = before["version"] + 1, now(rt)
    _claim_keys(rt, session, after, contacts.identity_keys(before.get("contacts", [])), strict=True,
                visible=visible)
    dedup.refuse_new(rt, session, after, before, visible)
    stored = rt.db.customers.replace_one({"_id": before["_id"], "version": before["version"]}, after,
                                         session=session)
    if stored.matched_count == 0:
        raise Stale("the customer changed meanwhile; read it again")
    _deals_follow(rt, session, before, after)
    _publish(rt, session, after, list(events) + _lifecycle_event(rt, before, after), caused_by=caused_by)
    return after


def _deals_follow(rt, session, before: dict, after: dict) -> None:
    """A customer's deals are seen as the customer is; its open deals that its owner held go to the new owner."""
    if after.get("owner_id") != before.get("owner_id"):
        rt.db.opportunities.update_many({"customer_id": after["_id"], "owner_id": before.get("owner_id"),
                                         "status": "open"}, {"$set": {"owner_id": after.get("owner_id")}},
                                        session=session)
    if deals.scope_of(after) != deals.scope_of(before):
        rt.db.opportunities.update_many({"customer_id": after["_id"]}, {"$set": deals.scope_of(after)},
                                        session=session)
        task_scope.follow_customer(rt, session, after)  # its tasks are seen as it is


def delete(rt, customer_id: str, *, scope: dict, expected, by: str) -> None:
    def work(session):
        customer = queries.find_one(rt.db.customers, {"_id": customer_id, **scope}, session)
        if customer is None:
            raise NotFound("no such customer")
        concurrency.check(customer, expected)
        gone = {"by": by, "deleted_at": now(rt).isoformat()}
        rt.publish(session, *[rt.event("crm.opportunity.deleted", deal["_id"], {**deals.snapshot(deal), **gone},
                                       key=customer_id)
                              for deal in rt.db.opportunities.find({"customer_id": customer_id}, session=session)])
        rt.db.opportunities.delete_many({"customer_id": customer_id}, session=session)
        quote_withdrawal.of_customer(rt, session, customer_id, by=by, at=now(rt))
        contract_withdrawal.of_customer(rt, session, customer_id, by=by, at=now(rt))
        rt.db.customers.delete_one({"_id": customer_id}, session=session)
        rt.db.contact_keys.delete_many({"customer_id": customer_id}, session=session)
        rt.db.deleted_customers.insert_one({**customer, "deleted_by": by, "deleted_at": now(rt)},
                                           session=session)
        _publish(rt, session, customer, [("crm.customer.deleted", {"by": by,
                                                                    "deleted_at": now(rt).isoformat()})])
    rt.transaction(work)


def updated(rt, by: str, *fields: str) -> tuple:
    """The crm.customer.updated event of a change to `fields`."""
    return ("crm.customer.updated", {"changed_fields": sorted(fields), "by": by,
                                     "updated_at": now(rt).isoformat()})


def snapshot(customer: dict) -> dict:
    """What every customer event carries: who owns it, where it is, and its contacts' identity keys."""
    return {"customer_id": customer["_id"], "name": customer["name"], "owner_id": customer.get("owner_id"),
            "department_path": customer.get("department_path", []),
            "collaborator_ids": customer.get("collaborator_ids", []), "level": customer["level"],
            "stage": customer["stage"], "lifecycle": customer["lifecycle"], "tags": customer.get("tags", []),
            "city": customer.get("city"), "industry": customer.get("industry"),
            "contacts": [contacts.identity_view(c) for c in customer.get("contacts", [])],
            # what notify's reminders need: grade for high-value alerts, dates for greetings
            "grade": (customer.get("qualification") or {}).get("grade"), "founded_on": customer.get("founded_on"),
            "birthdays": [{"contact_id": c.get("contact_id", ""), "name": c.get("name") or "", "birthday": c["birthday"]}
                          for c in customer.get("contacts", []) if c.get("birthday")],
            # reporting's workbench lists the customers pinned to the rep's first screen (上首屏)
            "milestones": dict(customer.get("milestones") or {}),
            "version": customer["version"]}


def _publish(rt, session, customer: dict, events: list, caused_by=None) -> None:
    """`caused_by`: the causation of the rule run whose request made the change (crm_common.events.caused_by)."""
    base = snapshot(customer)
    rt.publish(session, *[rt.event(event_type, customer["_id"], {**base, **data}, caused_by=caused_by)
                          for event_type, data in events])


def _lifecycle_event(rt, before: dict | None, after: dict) -> list:
    old = before.get("lifecycle") if before else None
    if old == after["lifecycle"]:
        return []
    return [("crm.customer.lifecycle_changed", {"from": old, "to": after["lifecycle"],
                                                 "trigger": after.get("lifecycle_trigger") or "unknown",
                                                 "changed_at": now(rt).isoformat()})]


def _claim_keys(rt, session, customer: dict, old_keys: list, *, strict: bool, visible=None) -> None:
    """One contact method belongs to one customer (防撞单); the database's unique _id decides races."""
    new_keys = contacts.identity_keys(customer.get("contacts", []))
    gone = sorted(set(old_keys) - set(new_keys))
    if gone:
        rt.db.contact_keys.delete_many({"_id": {"$in": gone}, "customer_id": customer["_id"]}, session=session)
    added = sorted(set(new_keys) - set(old_keys))
    held = {k["_id"]: k["customer_id"] for k in rt.db.contact_keys.find({"_id": {"$in": added}}, session=session)}
    taken = {k: c for k, c in held.items() if c != customer["_id"]}
    if taken and strict:
        raise _duplicate(rt, session, taken, visible)
    leads = lead_keys.held(rt, session, added) if strict else {}
    if leads:  # a lead being worked: it is converted, or merged into this customer, not entered twice
        raise Conflict("a contact method already belongs to a lead", matched_keys=sorted(leads),
                       duplicate_of_kind="lead")
    rows = [{"_id": k, "customer_id": customer["_id"]} for k in added if k not in held]
    if rows:
        rt.db.contact_keys.insert_many(rows, session=session)


def _duplicate(rt, session, taken: dict, visible) -> Conflict:
    ids = sorted(set(taken.values()))
    seen = [c["_id"] for c in rt.db.customers.find({"$and": [{"_id": {"$in": ids}}, visible or {}]}, {"_id": 1},
                                                  session=session)] if visible is not None else []
    return Conflict("a contact method already belongs to another customer", matched_keys=sorted(taken),
                    duplicate_of=seen[0] if seen else None, duplicate_of_kind="customer")

"""Movements (DOMAIN §3): return, reclaim, claim, assign, transfer, each with actor, reason and time.

A movement that changes the owner is first `requested`: the pool asks the
customer service (crm.pool.ownership_requested), which alone writes owners. It
becomes `done` when the customer service's owner_changed names its request, and
only then is the movement published (crm.pool.customer_*); or `refused`, and a
refused claim uses none of the rep's daily quota.
"""
from __future__ import annotations

from crm_common.kernel import ownership
from crm_common.paging import new_id

REQUESTED, DONE, REFUSED = "requested", "done", "refused"
KINDS = ("return", "reclaim", "claim", "assign", "transfer")


def new(*, kind: str, customer_id: str, pool_id: str, actor: str, at, user_id: str | None = None,
        from_owner_id=None, to_owner_id=None, reason=None, rule=None, to_pool_id=None,
        state: str = REQUESTED, departments=(), first_contact_due_at=None) -> dict:
    """A movement record; `user_id` is the rep it concerns (claimant, assignee, previous owner).

    `departments` (department paths of the customer and of the rep) decide which managers see it;
    `first_contact_due_at` is a claim's deadline under its pool's rules, published with the claim.
    """
    return {"_id": new_id(), "request_id": new_id(), "kind": kind, "customer_id": customer_id,
            "pool_id": pool_id, "to_pool_id": to_pool_id, "actor": actor, "user_id": user_id,
            "from_owner_id": from_owner_id, "to_owner_id": to_owner_id, "reason": reason, "rule": rule,
            "state": state, "at": at, "department_ids": sorted({d for path in departments for d in path or []}),
            "first_contact_due_at": first_contact_due_at}


def visible_to(principal) -> dict:
    """Data scope of the movement log: admins all, managers their departments' moves, reps their own."""
    if principal.is_admin:
        return {}
    mine = [{"user_id": principal.user_id}, {"actor": principal.user_id}]
    if principal.role == "manager" and principal.department_path:
        mine.append({"department_ids": principal.department_path[-1]})
    return {"$or": mine}


def request_event(rt, movement: dict, expected: dict, caused_by: dict | None = None) -> dict:
    """The conditional request to the customer service: apply this move only if `expected` still holds
    (`caused_by`: the automation request that asked for the move, crm_common.events.caused_by)."""
    m = movement
    return rt.event("crm.pool.ownership_requested", m["customer_id"], ownership.request(
        request_id=m["request_id"], customer_id=m["customer_id"], kind=m["kind"], expected=expected,
        to_owner_id=m["to_owner_id"], pool_id=m["to_pool_id"] or m["pool_id"], reason=m["reason"],
        rule=m["rule"], by=m["actor"], at=m["at"]), caused_by=caused_by)


def fact_event(rt, movement: dict) -> dict:
    """The movement as it happened, for notify, reporting and any other subscriber; a move an automation
    rule asked for names its runs (so that rule never fires on it again)."""
    m, at = movement, movement["at"].isoformat()
    event = _fact_event(rt, m, at)
    if m.get("caused_by"):
        event.update(m["caused_by"])
    return event


def _fact_event(rt, m: dict, at: str) -> dict:
    base = {"customer_id": m["customer_id"], "pool_id": m["pool_id"], "movement_id": m["_id"], "by": m["actor"]}
    if m["kind"] == "reclaim":
        return rt.event("crm.pool.customer_reclaimed", m["customer_id"], {
            **base, "previous_owner_id": m["from_owner_id"], "reason": m["rule"], "reclaimed_at": at})
    if m["kind"] == "return":
        return rt.event("crm.pool.customer_returned", m["customer_id"], {
            **base, "previous_owner_id": m["from_owner_id"], "reason": m["reason"], "returned_at": at})
    if m["kind"] == "claim":
        due = m.get("first_contact_due_at")
        return rt.event("crm.pool.customer_claimed", m["customer_id"], {
            **base, "owner_id": m["to_owner_id"], "previous_owner_id": m["from_owner_id"], "kind": "claim",
            "claimed_at": at, "first_contact_due_at": due.isoformat() if due else None})
    if m["kind"] == "assign":
        return rt.event("crm.pool.customer_assigned", m["customer_id"], {
            **base, "owner_id": m["to_owner_id"], "previous_owner_id": m["from_owner_id"], "reason": m["reason"],
            "assigned_at": at})
    return rt.event("crm.pool.customer_transferred", m["customer_id"], {
        **base, "to_pool_id": m["to_pool_id"], "reason": m["reason"], "transferred_at": at})


def settle(rt, session, request_id: str | None, *, refused: str | None = None, at=None) -> dict | None:
    """Mark the movement of a request done (and publish it) or refused; once."""
    if not request_id:
        return None
    movement = rt.db.movements.find_one({"request_id": request_id, "state": REQUESTED}, session=session)
    if movement is None:
        return None
    state = {"state": REFUSED, "refusal": refused} if refused else {"state": DONE}
    rt.db.movements.update_one({"_id": movement["_id"]}, {"$set": {**state, "settled_at": at}}, session=session)
    if not refused:
        rt.publish(session, fact_event(rt, movement))
    return {**movement, **state}


def claims_since(rt, session, user_id: str, since) -> int:
    """Claims a rep made since `since`, from the movement log; refused ones used no quota."""
    return rt.db.movements.count_documents({"user_id": user_id, "kind": "claim", "at": {"$gte": since},
                                            "state": {"$ne": REFUSED}}, session=session)

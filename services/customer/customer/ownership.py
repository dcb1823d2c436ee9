"""Who owns a customer and who works on it: reassignment, transfer, collaborators,
and the ownership moves the pool service asks for (crm.pool.ownership_requested).

Every change of owner counts once in `claim_count` (领取次数) and moves the
customer into the new owner's department, so managers' data scope follows it.
"""
from __future__ import annotations

import logging
from datetime import timezone

from crm_common.kernel import holding
from crm_common.kernel.scope import within_subtree
from crm_common.errors import Problem
from crm_common.events import parse_time

from . import customers, org

log = logging.getLogger(__name__)


def set_owner(rt, session, customer: dict, owner: dict | None, *, kind: str, by: str | None,
              reason: str | None = None) -> list:
    """Make `owner` (a user document, or None: in the pool) the owner; returns the event."""
    previous = customer.get("owner_id")
    customer["owner_id"] = owner["_id"] if owner else None
    customer["in_pool"] = owner is None
    if owner is not None:
        customer["pool_id"] = None  # out of any pool, whoever gave it an owner
        customer["department_id"] = owner.get("department_id")
        customer["department_path"] = owner.get("department_path", [])
        customer["collaborator_ids"] = [c for c in customer.get("collaborator_ids", []) if c != owner["_id"]]
    # The pool's reclaim keeps the department, so the department's managers still see the customer.
    customer["claim_count"] = customer.get("claim_count", 0) + (1 if owner is not None else 0)
    return [("crm.customer.owner_changed", {
        "from_owner_id": previous, "to_owner_id": customer["owner_id"], "kind": kind, "reason": reason, "by": by,
        "claim_count": customer["claim_count"], "changed_at": rt.clock.now().isoformat()})]


def new_owner(rt, session, user_id: str, field: str = "owner_id", *, assigner=None) -> dict:
    """An active user who may take one more customer (holding limit, DOMAIN §3), and, when a
    manager names them (`assigner`), one of their own department or below it."""
    user = org.active_user(rt, user_id, field, session)
    if assigner is not None and assigner.role != "rep" and not within_subtree(assigner, user.get("department_path")):
        raise Problem(403, "a manager assigns only to users of their own department or one below it",
                      errors=[{"field": field, "message": "outside your department"}])
    held = rt.db.customers.count_documents({"owner_id": user_id}, session=session)
    if not holding.may_take_one_more(held, user.get("holding_limit")):
        raise Problem(409, f"{user['username']} already holds {held} customers, their limit",
                      errors=[{"field": field, "message": "at holding limit"}])
    return user


def reassign(rt, customer_id: str, body: dict, *, principal, scope: dict, expected) -> dict:
    """A manager or admin gives the customer to another rep (被动分配)."""
    def mutate(session, customer):
        if customer.get("owner_id") == body["owner_id"]:
            raise Problem(409, "this user already owns the customer")
        owner = new_owner(rt, session, body["owner_id"], assigner=principal)
        return set_owner(rt, session, customer, owner, kind="reassign", by=principal.user_id,
                         reason=body.get("reason"))
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def transfer(rt, customer_id: str, body: dict, *, principal, scope: dict, expected) -> dict:
    """The owner hands the customer to a colleague, optionally staying on as a collaborator."""
    def mutate(session, customer):
        if principal.role == "rep" and customer.get("owner_id") != principal.user_id:
            raise Problem(403, "only the owner, a manager or an admin can transfer a customer")
        if customer.get("owner_id") == body["to_user_id"]:
            raise Problem(409, "this user already owns the customer")
        previous = customer.get("owner_id")
        owner = new_owner(rt, session, body["to_user_id"], "to_user_id", assigner=principal)
        events = set_owner(rt, session, customer, owner,
                           kind="transfer", by=principal.user_id, reason=body.get("reason"))
        if body.get("keep_as_collaborator") and previous:
            customer["collaborator_ids"] = sorted(set(customer["collaborator_ids"]) | {previous})
        return events
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def set_collaborators(rt, customer_id: str, user_ids: list, *, principal, scope: dict, expected) -> dict:
    """相关团队: the people who work on the customer with its owner and see it in their scope."""
    def mutate(session, customer):
        if principal.role == "rep" and customer.get("owner_id") != principal.user_id:
            raise Problem(403, "only the owner, a manager or an admin can change collaborators")
        for index, user_id in enumerate(user_ids):
            org.active_user(rt, user_id, f"user_ids.{index}", session)
        customer["collaborator_ids"] = sorted(set(user_ids) - {customer.get("owner_id")})
        return [customers.updated(rt, principal.user_id, "collaborator_ids")]
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def requested(rt, session, data: dict) -> None:
    """Handle crm.pool.ownership_requested: apply the pool's move only if what it saw still holds.

    The pool decides reclaims, claims, assignments, returns and transfers from its copy of the
    customer; this service alone writes the owner. If the owner, the last follow-up, the level or
    the lifecycle differ from what the pool expected, the move is refused and said so in
    crm.customer.ownership_refused, with the customer as it is, so the pool converges on it.
    """
    before = rt.db.customers.find_one({"_id": data["customer_id"]}, session=session)
    if before is None:
        log.info("the pool asked to move deleted customer %s; ignored", data["customer_id"])
        return  # the pool hears of the deletion from crm.customer.deleted
    reason = unmet(before, data["expected"])
    owner = None
    if reason is None and data.get("to_owner_id"):
        owner = rt.db.users.find_one({"_id": data["to_owner_id"], "active": True}, session=session)
        reason = None if owner else "unknown_user"
    if reason:
        rt.publish(session, rt.event("crm.customer.ownership_refused", before["_id"], {
            **customers.snapshot(before), "request_id": data["request_id"], "request_kind": data["kind"],
            "reason": reason, "last_followup_at": _iso(before.get("last_followup_at")),
            "refused_at": rt.clock.now().isoformat()}))
        return
    after = {**before, "collaborator_ids": list(before.get("collaborator_ids", []))}
    by = data.get("by") or "pool"
    if data["kind"] == "transfer":  # between pools: nobody owns it before or after
        after["pool_id"] = data["pool_id"]
        events = [customers.updated(rt, by, "pool_id")]
    else:
        events = set_owner(rt, session, after, owner, kind=f"pool_{data['kind']}", by=by, reason=data.get("reason"))
        after["pool_id"] = None if owner else data["pool_id"]
        events[0][1].update(request_id=data["request_id"], pool_id=after["pool_id"], in_pool=owner is None)
    customers.save(rt, session, before, after, events)


REFUSALS = {"owner_id": "owner_changed", "last_followup_at": "followed_up", "level": "level_changed",
            "lifecycle": "lifecycle_changed"}


def unmet(customer: dict, expected: dict) -> str | None:
    """Why the pool's expectation no longer holds (pure), or None if it does."""
    for field, value in expected.items():
        current = customer.get(field)
        if field == "last_followup_at":
            current, value = _iso(current), _iso(parse_time(value)) if value else None
        if current != value:
            return REFUSALS.get(field, f"{field}_changed")
    return None


def _iso(at) -> str | None:
    """A stored time at MongoDB's precision, so the pool's copy and ours compare equal."""
    if at is None:
        return None
    at = at.replace(tzinfo=at.tzinfo or timezone.utc).astimezone(timezone.utc)
    return at.replace(microsecond=at.microsecond // 1000 * 1000).isoformat()


def follow_owner_department(rt, session, user: dict, *, by: str) -> None:
    """A rep moved department: their customers move with them."""
    for before in list(rt.db.customers.find({"owner_id": user["_id"]}, session=session)):
        after = {**before, "department_id": user.get("department_id"),
                 "department_path": user.get("department_path", [])}
        customers.save(rt, session, before, after, [customers.updated(rt, by, "department_path")])

"""Who owns a customer and who works on it: reassignment, transfer, collaborators,
and the ownership moves the pool service decides (crm.pool events).

Every change of owner counts once in `claim_count` (领取次数) and moves the
customer into the new owner's department, so managers' data scope follows it.
"""
from __future__ import annotations

import logging

from crm_common.errors import Problem

from . import customers, org

log = logging.getLogger(__name__)


def set_owner(rt, session, customer: dict, owner: dict | None, *, kind: str, by: str | None,
              reason: str | None = None) -> list:
    """Make `owner` (a user document, or None: in the pool) the owner; returns the event."""
    previous = customer.get("owner_id")
    customer["owner_id"] = owner["_id"] if owner else None
    customer["in_pool"] = owner is None
    if owner is not None:
        customer["department_id"] = owner.get("department_id")
        customer["department_path"] = owner.get("department_path", [])
        customer["collaborator_ids"] = [c for c in customer.get("collaborator_ids", []) if c != owner["_id"]]
    # The pool's reclaim keeps the department, so the department's managers still see the customer.
    customer["claim_count"] = customer.get("claim_count", 0) + (1 if owner is not None else 0)
    return [("crm.customer.owner_changed", {
        "from_owner_id": previous, "to_owner_id": customer["owner_id"], "kind": kind, "reason": reason, "by": by,
        "claim_count": customer["claim_count"], "changed_at": rt.clock.now().isoformat()})]


def new_owner(rt, session, user_id: str, field: str = "owner_id") -> dict:
    """An active user who may take one more customer (holding limit, DOMAIN §3)."""
    user = org.active_user(rt, user_id, field, session)
    held = rt.db.customers.count_documents({"owner_id": user_id}, session=session)
    if held >= user.get("holding_limit", org.DEFAULT_HOLDING_LIMIT):
        raise Problem(409, f"{user['username']} already holds {held} customers, their limit",
                      errors=[{"field": field, "message": "at holding limit"}])
    return user


def reassign(rt, customer_id: str, body: dict, *, scope: dict, expected, by: str) -> dict:
    """A manager or admin gives the customer to another rep (被动分配)."""
    def mutate(session, customer):
        if customer.get("owner_id") == body["owner_id"]:
            raise Problem(409, "this user already owns the customer")
        owner = new_owner(rt, session, body["owner_id"])
        return set_owner(rt, session, customer, owner, kind="reassign", by=by, reason=body.get("reason"))
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def transfer(rt, customer_id: str, body: dict, *, principal, scope: dict, expected) -> dict:
    """The owner hands the customer to a colleague, optionally staying on as a collaborator."""
    def mutate(session, customer):
        if principal.role == "rep" and customer.get("owner_id") != principal.user_id:
            raise Problem(403, "only the owner, a manager or an admin can transfer a customer")
        if customer.get("owner_id") == body["to_user_id"]:
            raise Problem(409, "this user already owns the customer")
        previous = customer.get("owner_id")
        events = set_owner(rt, session, customer, new_owner(rt, session, body["to_user_id"], "to_user_id"),
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


def reclaimed(rt, session, data: dict) -> None:
    """Handle crm.pool.customer_reclaimed: the customer has no owner now; it is in the pool."""
    _apply_pool_move(rt, session, data["customer_id"], None, "pool_reclaim", reason=data.get("reason"), by="pool")


def claimed(rt, session, data: dict) -> None:
    """Handle crm.pool.customer_claimed: a rep claimed it, or a manager assigned it, from the pool."""
    owner = rt.db.users.find_one({"_id": data["owner_id"]}, session=session) or {"_id": data["owner_id"]}
    _apply_pool_move(rt, session, data["customer_id"], owner, f"pool_{data['kind']}", reason=None,
                     by=data.get("by") or "pool")


def _apply_pool_move(rt, session, customer_id: str, owner: dict | None, kind: str, *, reason, by: str) -> None:
    before = rt.db.customers.find_one({"_id": customer_id}, session=session)
    if before is None:
        log.warning("pool moved unknown customer %s; ignored", customer_id)
        return  # deleted meanwhile: nothing to own
    after = {**before, "collaborator_ids": list(before.get("collaborator_ids", []))}
    events = set_owner(rt, session, after, owner, kind=kind, by=by, reason=reason)
    customers.save(rt, session, before, after, events)


def follow_owner_department(rt, session, user: dict, *, by: str) -> None:
    """A rep moved department: their customers move with them."""
    for before in list(rt.db.customers.find({"owner_id": user["_id"]}, session=session)):
        after = {**before, "department_id": user.get("department_id"),
                 "department_path": user.get("department_path", [])}
        customers.save(rt, session, before, after, [customers.updated(rt, by, "department_path")])

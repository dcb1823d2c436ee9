"""Who owns a customer and who works on it: reassignment, transfer, collaborators,
and the ownership moves the pool service asks for (crm.pool.ownership_requested).

The rules (who may give a customer to whom, what a change of owner changes) are
ownership_rules, pure; this module loads, checks with them and saves. Every change
of owner counts once in `claim_count` (领取次数) and moves the customer into the new
owner's department, so managers' data scope follows it.
"""
from __future__ import annotations

import logging

from crm_common.kernel.ownership import stored_time, unmet

from ..org import users
from . import customers, ownership_rules as rules

log = logging.getLogger(__name__)


def set_owner(rt, session, customer: dict, owner: dict | None, *, kind: str, by: str | None,
              reason: str | None = None) -> list:
    """Make `owner` (a user document, or None: in the pool) the owner; returns the event."""
    changes, event = rules.owner_change(customer, owner, kind=kind, by=by, reason=reason,
                                        at=rt.clock.now().isoformat())
    customer.update(changes)
    return [event]


def new_owner(rt, session, user_id: str, field: str = "owner_id", *, assigner=None) -> dict:
    """An active user who may take one more customer (holding limit, DOMAIN §3), and, when a
    manager names them (`assigner`), one of their own department or below it."""
    user = users.active_user(rt, user_id, field, session)
    rules.may_assign_to(assigner, user, field)
    rules.may_hold_one_more(user, rt.db.customers.count_documents({"owner_id": user_id}, session=session), field)
    return user


def reassign(rt, customer_id: str, body: dict, *, principal, scope: dict, expected) -> dict:
    """A manager or admin gives the customer to another rep (被动分配)."""
    def mutate(session, customer):
        rules.not_already_owner(customer, body["owner_id"])
        owner = new_owner(rt, session, body["owner_id"], assigner=principal)
        return set_owner(rt, session, customer, owner, kind="reassign", by=principal.user_id,
                         reason=body.get("reason"))
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def transfer(rt, customer_id: str, body: dict, *, principal, scope: dict, expected) -> dict:
    """The owner hands the customer to a colleague, optionally staying on as a collaborator."""
    def mutate(session, customer):
        rules.may_act_as_owner(principal, customer, "transfer a customer")
        rules.not_already_owner(customer, body["to_user_id"])
        previous = customer.get("owner_id")
        owner = new_owner(rt, session, body["to_user_id"], "to_user_id", assigner=principal)
        events = set_owner(rt, session, customer, owner,
                           kind="transfer", by=principal.user_id, reason=body.get("reason"))
        customer["collaborator_ids"] = rules.collaborators_after_transfer(customer, previous,
                                                                          body.get("keep_as_collaborator"))
        return events
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def set_collaborators(rt, customer_id: str, user_ids: list, *, principal, scope: dict, expected) -> dict:
    """相关团队: the people who work on the customer with its owner and see it in their scope."""
    def mutate(session, customer):
        rules.may_act_as_owner(principal, customer, "change collaborators")
        for index, user_id in enumerate(user_ids):
            users.active_user(rt, user_id, f"user_ids.{index}", session)
        customer["collaborator_ids"] = rules.collaborators(customer, user_ids)
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
            "reason": reason, "last_followup_at": stored_time(before.get("last_followup_at")),
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


def follow_owner_department(rt, session, user: dict, *, by: str) -> None:
    """A rep moved department: their customers move with them."""
    for before in list(rt.db.customers.find({"owner_id": user["_id"]}, session=session)):
        after = {**before, "department_id": user.get("department_id"),
                 "department_path": user.get("department_path", [])}
        customers.save(rt, session, before, after, [customers.updated(rt, by, "department_path")])

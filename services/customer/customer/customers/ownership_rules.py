"""Who may give a customer to whom, and what a change of owner changes (DOMAIN §2, §3). Pure: no I/O.

A principal is anything with `user_id`, `role`, `department_path` and `is_admin`
(crm_common.auth.Principal in a request); users and customers are plain documents.
Each check returns nothing when the rule holds and raises the refusal the caller is told.
"""
from __future__ import annotations

from crm_common.kernel import holding
from crm_common.kernel.refusals import Conflict, Forbidden
from crm_common.kernel.scope import within_subtree


def not_already_owner(customer: dict, user_id: str) -> None:
    """Giving a customer to the user who owns it is no move at all."""
    if customer.get("owner_id") == user_id:
        raise Conflict("this user already owns the customer")


def may_act_as_owner(principal, customer: dict, what: str) -> None:
    """A rep may `what` (transfer, change collaborators, delete) only on a customer they own;
    a manager or an admin on any they see."""
    if principal.role == "rep" and customer.get("owner_id") != principal.user_id:
        raise Forbidden(f"only the owner, a manager or an admin can {what}")


def may_assign_to(assigner, user: dict, field: str) -> None:
    """A manager hands customers only to users of their own department or one below it; an admin to
    anyone. A rep hands over their own customer only within their own department or one below it too:
    a transfer into another department would move it out of their managers' sight."""
    if assigner is None:
        return
    if assigner.role == "rep":
        if not in_own_subtree(assigner, user.get("department_path")):
            raise Forbidden("a rep transfers only to users of their own department or one below it",
                            errors=[{"field": field, "message": "outside your department"}])
    elif not within_subtree(assigner, user.get("department_path")):
        raise Forbidden("a manager assigns only to users of their own department or one below it",
                        errors=[{"field": field, "message": "outside your department"}])


def in_own_subtree(principal, department_path: list | None) -> bool:
    """Is a user of `department_path` in `principal`'s own department or one below it? Nobody is, for a
    caller without a department."""
    return bool(principal.department_path) and principal.department_path[-1] in (department_path or [])


def may_hold_one_more(user: dict, held: int, field: str) -> None:
    """The new owner, holding `held` customers now, stays within their holding limit (DOMAIN §3)."""
    if not holding.may_take_one_more(held, user.get("holding_limit")):
        raise Conflict(f"{user['username']} already holds {held} customers, their limit",
                       errors=[{"field": field, "message": "at holding limit"}])


def owner_change(customer: dict, owner: dict | None, *, kind: str, by: str | None, reason: str | None,
                 at: str) -> tuple[dict, tuple]:
    """What giving `customer` to `owner` (a user document, or None: into the pool) changes, and the
    crm.customer.owner_changed event saying so.

    A new owner takes the customer out of any pool and into their department (so their managers see
    it) and stops being one of its collaborators; every change to an owner counts once in
    `claim_count` (领取次数). Into the pool it keeps its department, for the department's managers.
    """
    changes = {"owner_id": owner["_id"] if owner else None, "in_pool": owner is None}
    if owner is not None:
        changes.update(pool_id=None, department_id=owner.get("department_id"),
                       department_path=owner.get("department_path", []),
                       collaborator_ids=[c for c in customer.get("collaborator_ids", []) if c != owner["_id"]])
    changes["claim_count"] = customer.get("claim_count", 0) + (1 if owner is not None else 0)
    event = ("crm.customer.owner_changed", {
        "from_owner_id": customer.get("owner_id"), "to_owner_id": changes["owner_id"], "kind": kind,
        "reason": reason, "by": by, "claim_count": changes["claim_count"], "changed_at": at})
    return changes, event


def collaborators_after_transfer(customer: dict, previous_owner: str | None, keep_as_collaborator: bool) -> list:
    """The collaborators once transferred: the previous owner stays on as one when asked to."""
    if keep_as_collaborator and previous_owner:
        return sorted(set(customer["collaborator_ids"]) | {previous_owner})
    return customer["collaborator_ids"]


def collaborators(customer: dict, user_ids: list) -> list:
    """相关团队: the people named, once each, without the owner (who sees the customer anyway)."""
    return sorted(set(user_ids) - {customer.get("owner_id")})

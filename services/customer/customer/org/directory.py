"""Who sees which part of the organisation: a rep sees the users, departments and teams of their
own department and those below it, which is whom they may hand a customer to; a manager and an admin see
the whole directory, as they always have. Pure: each function answers a MongoDB filter, no I/O."""
from __future__ import annotations

NOTHING = {"_id": {"$in": []}}


def _own_department(principal) -> str | None:
    """The top of the subtree a rep sees: their own department (None for a manager, an admin, or a rep
    without a department)."""
    if principal.role != "rep" or not principal.department_path:
        return None
    return principal.department_path[-1]


def users_filter(principal) -> dict:
    """The users `principal` may list or read: a rep those of their own subtree (themself always)."""
    if principal.role != "rep":
        return {}
    department = _own_department(principal)
    mine = {"_id": principal.user_id}
    return {"$or": [{"department_path": department}, mine]} if department else mine


def departments_filter(principal) -> dict:
    """The departments `principal` may list: a rep their own and those below it."""
    if principal.role != "rep":
        return {}
    department = _own_department(principal)
    return {"path": department} if department else NOTHING


def teams_filter(principal, subtree_ids: list[str]) -> dict:
    """The teams `principal` may list: a rep those of a department in their subtree (`subtree_ids`), and
    any team they are a member of wherever it sits."""
    if principal.role != "rep":
        return {}
    return {"$or": [{"department_id": {"$in": list(subtree_ids)}}, {"members.user_id": principal.user_id}]}

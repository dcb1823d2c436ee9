"""Whom a playbook's or a rule's task goes to: the record's owner, the owner's supervisor, or the manager
of the nearest department up the owner's path that has one (as notify escalates an overdue follow-up)."""
from __future__ import annotations

from crm_common.kernel.refusals import Invalid


def by_role(rt, session, role: str, owner_id: str | None) -> dict | None:
    """The active user in `role` for a record owned by `owner_id`; None when nobody holds it."""
    owner = rt.db.users.find_one({"_id": owner_id, "active": True}, session=session) if owner_id else None
    if owner is None or role == "owner":
        return owner
    if role == "supervisor":
        boss = owner.get("supervisor_id")
        return rt.db.users.find_one({"_id": boss, "active": True}, session=session) if boss else None
    for department_id in reversed(owner.get("department_path") or []):
        managers = list(rt.db.users.find({"role": "manager", "active": True, "department_id": department_id,
                                          "_id": {"$ne": owner["_id"]}}, session=session).sort("_id", 1).limit(1))
        if managers:
            return managers[0]
    return None


def resolve(rt, session, assignee: dict, owner_id: str | None, field: str = "assignee") -> dict:
    """`{"user_id"}` or `{"role"}` as an active user, or a 400 naming the field."""
    if assignee.get("user_id"):
        user = rt.db.users.find_one({"_id": assignee["user_id"], "active": True}, session=session)
    else:
        user = by_role(rt, session, assignee.get("role") or "owner", owner_id)
    if user is None:
        raise Invalid("nobody active holds this assignee", errors=[{"field": field, "message": "unknown or inactive"}])
    return user

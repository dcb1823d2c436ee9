"""Users, their supervisors and login. Departments and teams have their own modules; login.py throttles.

Passwords are hashed with werkzeug's scrypt (a memory-hard KDF). Every change to
a user is published on crm.org (`crm.user.created` / `crm.user.updated`) with the
fields other services keep: role, department path, supervisor, teams, holding limit.
"""
from __future__ import annotations

import logging

from pymongo.errors import DuplicateKeyError
from werkzeug.security import check_password_hash, generate_password_hash

from crm_common.auth import Principal
from crm_common.kernel import holding
from crm_common.kernel.refusals import Conflict, Invalid, NotFound, Refusal
from crm_common.paging import new_id

from . import departments, login

log = logging.getLogger(__name__)

# A change to any of these ends the user's sessions: tokens carry role and department, and a
# deactivated user or a reset password must not keep working on an old token.
REVOKING = ("role", "department_path", "active", "password_hash")
# A fixed hash to compare against when the user does not exist, so timing does not tell.
_NO_USER_HASH = generate_password_hash("no such user")


def create_user(rt, session, *, username: str, password: str, role: str, department_id=None,
                supervisor_id=None, holding_limit: int = holding.DEFAULT_HOLDING_LIMIT) -> dict:
    if rt.db.users.find_one({"username": username}, {"_id": 1}, session=session):
        raise Conflict("this username is taken", errors=[{"field": "username", "message": "taken"}])
    user_id = new_id()
    _check_supervisor(rt, session, user_id, supervisor_id)
    user = {
        "_id": user_id, "username": username, "password_hash": generate_password_hash(password),
        "role": role, "department_id": department_id,
        "department_path": departments.path_of(rt, department_id, session),
        "supervisor_id": supervisor_id, "holding_limit": holding_limit, "active": True,
        "created_at": rt.clock.now(),
    }
    rt.db.users.insert_one(user, session=session)
    rt.publish(session, rt.event("crm.user.created", user_id, event_data(rt, session, user)))
    return user


def update_user(rt, session, user_id: str, changes: dict) -> tuple[dict, dict]:
    """Apply `changes`; returns (before, after). Customers follow their owner's department."""
    before = rt.db.users.find_one({"_id": user_id}, session=session)
    if before is None:
        raise NotFound("no such user")
    after = dict(before)
    if "password" in changes:
        after["password_hash"] = generate_password_hash(changes.pop("password"))
    if "department_id" in changes:
        after["department_path"] = departments.path_of(rt, changes["department_id"], session)
    if "supervisor_id" in changes:
        _check_supervisor(rt, session, user_id, changes["supervisor_id"])
    if before["role"] == "admin" and before.get("active", True) and _ends_admin(changes):
        # Two admins leaving at once would each see the other still active on their own snapshot and
        # both commit. Both write this one document, so the second waits for the first and
        # then checks again, seeing it gone.
        rt.db.org_guards.update_one({"_id": "active-admins"}, {"$inc": {"changes": 1}}, upsert=True,
                                    session=session)
    if before["role"] == "admin" and before.get("active", True) and _last_active_admin(rt, session, user_id):
        if changes.get("active") is False:
            raise Conflict("the last active admin cannot be deactivated")
        if changes.get("role", "admin") != "admin":
            raise Conflict("the last active admin cannot be demoted",
                           errors=[{"field": "role", "message": "last active admin"}])
    after.update(changes, updated_at=rt.clock.now())
    if any(before.get(f) != after.get(f) for f in REVOKING):
        # every token issued before this change is refused from now on, here and (a moment later) everywhere
        after["token_version"] = before.get("token_version", 0) + 1
    rt.db.users.replace_one({"_id": user_id}, after, session=session)
    publish_updated(rt, session, after)
    return before, after


def publish_updated(rt, session, user: dict) -> None:
    rt.publish(session, rt.event("crm.user.updated", user["_id"], event_data(rt, session, user)))


def event_data(rt, session, user: dict) -> dict:
    team_ids = [t["_id"] for t in rt.db.teams.find({"members.user_id": user["_id"]}, {"_id": 1}, session=session)]
    return {"user_id": user["_id"], "username": user["username"], "role": user["role"],
            "department_id": user.get("department_id"), "department_path": user.get("department_path", []),
            "supervisor_id": user.get("supervisor_id"), "active": user.get("active", True),
            "team_ids": sorted(team_ids), "holding_limit": user.get("holding_limit", holding.DEFAULT_HOLDING_LIMIT),
            "token_version": user.get("token_version", 0)}


def active_user(rt, user_id: str, field: str, session=None) -> dict:
    """An active user named in a request, or a 400 naming the field."""
    user = rt.db.users.find_one({"_id": user_id, "active": True}, session=session)
    if user is None:
        raise Invalid("no active user with this id", errors=[{"field": field, "message": "unknown or inactive"}])
    return user


def subordinate_ids(rt, user_id: str) -> list[str]:
    """Everyone whose chain of supervisors leads to `user_id` (direct and indirect reports)."""
    found, frontier = [], [user_id]
    while frontier:
        reports = [u["_id"] for u in rt.db.users.find({"supervisor_id": {"$in": frontier}}, {"_id": 1})]
        frontier = [r for r in reports if r not in found and r != user_id]
        found += frontier
    return found


def authenticate(rt, username: str, password: str) -> Principal | None:
    user = rt.db.users.find_one({"username": username, "active": True})
    with login.password_check_slot(rt):
        matches = check_password_hash(user["password_hash"] if user else _NO_USER_HASH, password)
    if not matches or user is None:
        return None
    return principal_of(user)


def principal_of(user: dict) -> Principal:
    return Principal(user["_id"], user["username"], user["role"], user.get("department_path", []),
                     user.get("token_version", 0))


def ensure_admin(rt) -> None:
    """First start: create `admin` with CRM_ADMIN_PASSWORD (default `admin` only in dev)."""
    if rt.settings.admin_password is None:
        if rt.db.users.count_documents({"role": "admin"}, limit=1) == 0:
            log.warning("no admin user exists and CRM_ADMIN_PASSWORD is not set")
        return
    if rt.db.users.find_one({"username": "admin"}) is not None:
        return
    try:
        rt.transaction(lambda s: create_user(rt, s, username="admin", password=rt.settings.admin_password,
                                             role="admin"))
        log.info("created the admin user")
    except (DuplicateKeyError, Refusal):
        pass  # another process created it first


def _check_supervisor(rt, session, user_id: str, supervisor_id: str | None) -> None:
    """The supervisor exists, is active, and is not the user or one of the user's own reports."""
    if supervisor_id is None:
        return
    active_user(rt, supervisor_id, "supervisor_id", session)
    seen, current = set(), supervisor_id
    while current is not None and current not in seen:
        if current == user_id:
            raise Invalid("a user cannot supervise themselves, directly or through their reports",
                          errors=[{"field": "supervisor_id", "message": "cycle"}])
        seen.add(current)
        current = (rt.db.users.find_one({"_id": current}, {"supervisor_id": 1}, session=session) or {}).get(
            "supervisor_id")


def _ends_admin(changes: dict) -> bool:
    return changes.get("active") is False or changes.get("role", "admin") != "admin"


def _last_active_admin(rt, session, user_id: str) -> bool:
    return rt.db.users.count_documents({"role": "admin", "active": True, "_id": {"$ne": user_id}},
                                       limit=1, session=session) == 0

"""Users and login. The organisation (departments, teams, supervisors) deepens later."""
from __future__ import annotations

import logging

from pymongo.errors import DuplicateKeyError
from werkzeug.security import check_password_hash, generate_password_hash

from crm_common.auth import Principal
from crm_common.paging import new_id

log = logging.getLogger(__name__)

# A fixed hash to compare against when the user does not exist, so timing does not tell.
_NO_USER_HASH = generate_password_hash("no such user")


def create_user(rt, session, *, username: str, password: str, role: str, department_id=None,
                department_path=(), supervisor_id=None) -> dict:
    user = {
        "_id": new_id(), "username": username, "password_hash": generate_password_hash(password),
        "role": role, "department_id": department_id, "department_path": list(department_path),
        "supervisor_id": supervisor_id, "active": True, "created_at": rt.clock.now(),
    }
    rt.db.users.insert_one(user, session=session)
    rt.publish(session, rt.event("crm.user.created", user["_id"], {
        "user_id": user["_id"], "username": username, "role": role, "department_id": department_id,
        "department_path": user["department_path"], "supervisor_id": supervisor_id, "active": True,
    }))
    return user


def authenticate(rt, username: str, password: str) -> Principal | None:
    user = rt.db.users.find_one({"username": username, "active": True})
    if not check_password_hash(user["password_hash"] if user else _NO_USER_HASH, password) or user is None:
        return None
    return principal_of(user)


def principal_of(user: dict) -> Principal:
    return Principal(user["_id"], user["username"], user["role"], user.get("department_path", []))


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
    except DuplicateKeyError:
        pass  # another process created it first

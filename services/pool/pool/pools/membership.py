"""Who belongs to a pool and who administers it. Pure: no I/O."""
from __future__ import annotations


def is_member(pool: dict, user: dict | None) -> bool:
    """Members are users named by id, or anyone in (or below) a named department; admins too.

    A pool open to all (the default pool) takes every active user."""
    if user is None or not user.get("active", True):
        return False
    if pool.get("open_to_all") or user.get("role") == "admin" or user["_id"] in pool.get("admin_user_ids", []):
        return True
    if user["_id"] in pool.get("member_user_ids", []):
        return True
    return bool(set(pool.get("member_department_ids", [])) & set(user.get("department_path", [])))


def may_administer(principal, pool: dict) -> bool:
    return principal.is_admin or principal.user_id in pool.get("admin_user_ids", [])

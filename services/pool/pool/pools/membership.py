"""Who belongs to a pool and who administers it. Pure: no I/O."""
from __future__ import annotations

from crm_common.kernel.refusals import Forbidden


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


# What only an admin changes: who runs a pool, who is in it, and whose customers it takes. A pool admin who
# could change these would widen their own reach (a rep made pool admin named another department
# as a source and took its customers).
ADMIN_ONLY = ("admin_user_ids", "member_user_ids", "member_department_ids", "source_department_ids", "open_to_all")
# The least a pool admin may set: below a day, a pool admin could reclaim the other reps' customers at once
# and claim them for themself. An admin is not bound by these (the schema's own range still holds).
RULE_FLOORS = {"no_followup_days": 1, "no_deal_days": 1}


def _same(before, after) -> bool:
    """Lists of ids compare as sets: re-sending a pool's members in another order changes nothing."""
    if isinstance(before, list) and isinstance(after, list):
        return set(before) == set(after)
    return before == after


def change_refusal(principal, pool: dict, body: dict):
    """May `principal` make this change (`body`, a PATCH) to `pool`? None if so, else the Forbidden refusal
    naming every field at fault. Only what actually changes counts, so a client may send back what it read.
    Pure: no I/O."""
    if principal.is_admin:
        return None
    if not may_administer(principal, pool):
        return Forbidden("only an admin or this pool's admins change it")
    errors = [{"field": name, "message": "only an admin changes this"}
              for name in ADMIN_ONLY if name in body and not _same(pool.get(name), body[name])]
    current = pool.get("rules") or {}
    errors += [{"field": f"rules.{name}", "message": f"a pool admin sets at least {floor}"}
               for name, floor in RULE_FLOORS.items()
               if name in (body.get("rules") or {}) and body["rules"][name] < floor
               and body["rules"][name] != current.get(name)]
    if errors:
        return Forbidden("a pool admin changes only the pool's name and its rules, within bounds", errors=errors)
    return None

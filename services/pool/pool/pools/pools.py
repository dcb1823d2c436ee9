"""Pools as data: several pools, each with members, admins, source departments and rules.

A default pool exists from the first start and takes the reclaimed customers of
every department no other pool names. A change is read on the next request or
job pass: nothing is cached across requests, so it takes effect at once.
"""
from __future__ import annotations

from pymongo.errors import PyMongoError

from crm_common import audit, concurrency
from crm_common.kernel.refusals import Forbidden, NotFound
from crm_common.mongo import is_duplicate_key
from crm_common.paging import new_id

from ..tracking import entries
from . import membership, rules, sources

DEFAULT_ID = entries.DEFAULT_POOL_ID


def ensure_default(rt) -> None:
    if rt.db.pools.find_one({"_id": DEFAULT_ID}, {"_id": 1}):
        return
    now = rt.clock.now()
    pool = {"_id": DEFAULT_ID, "name": "公海", "open_to_all": True, "member_user_ids": [], "member_department_ids": [],
            "admin_user_ids": [], "source_department_ids": [], "rules": dict(rules.DEFAULTS),
            "version": 1, "created_at": now, "updated_at": now}
    try:
        _insert(rt, pool, None)
    except PyMongoError as exc:
        if not is_duplicate_key(exc):
            raise  # else another process started at the same moment and wrote it


def _insert(rt, pool: dict, by: str | None) -> dict:
    """A new pool, announced in the same transaction; the pool (in a retried request, the one made first)."""
    def write(session):
        rt.db.pools.insert_one(pool, session=session)
        announce(rt, session, pool, by)
        if by is not None:  # the default pool, made at the first start, is nobody's change
            audit.record(rt, session, "pool", pool["_id"], None, pool, actor=by)
        return pool
    return rt.transaction(write)


def announce(rt, session, pool: dict, by: str | None) -> None:
    """crm.pool.pool_changed: the pool as it is now, for subscribers (reporting names pools by it)."""
    rt.publish(session, rt.event("crm.pool.pool_changed", pool["_id"], {
        "pool_id": pool["_id"], **{k: pool.get(k) for k in (
            "name", "open_to_all", "member_user_ids", "member_department_ids", "admin_user_ids",
            "source_department_ids", "rules")}, "by": by, "changed_at": pool["updated_at"].isoformat()}))


def get(rt, pool_id: str, session=None) -> dict:
    pool = rt.db.pools.find_one({"_id": pool_id}, session=session)
    if pool is None:
        raise NotFound("no such pool")
    return pool


def for_department(rt, department_path: list, session=None) -> str:
    """The pool that takes this department's reclaimed customers: the one naming the nearest department."""
    path = list(department_path or [])
    named = list(rt.db.pools.find({"source_department_ids": {"$in": path}}, {"source_department_ids": 1},
                                  session=session)) if path else []
    return sources.nearest_pool(path, named) or DEFAULT_ID


def rules_by_pool(rt, session=None) -> dict:
    """pool id -> its complete rules, read once for a job pass."""
    return {p["_id"]: rules.complete(p.get("rules")) for p in rt.db.pools.find({}, {"rules": 1}, session=session)}


def member_of(rt, principal) -> list[str] | None:
    """The pools whose waiting customers `principal` may see and claim: those they are a member of
    (None for an admin: every pool)."""
    if principal.is_admin:
        return None
    user = rt.db.users.find_one({"_id": principal.user_id})
    return sorted(p["_id"] for p in rt.db.pools.find() if membership.is_member(p, user))


def visible_to(rt, principal) -> list[str] | None:
    """The pools `principal` may list and read (None for an admin: every pool): those they are a member or
    an admin of (a pool open to all takes everyone), and those that take the reclaimed customers of their
    own department or, for a manager, of a department below theirs (the pool for_department names)."""
    if principal.is_admin:
        return None
    user = rt.db.users.find_one({"_id": principal.user_id})
    every = list(rt.db.pools.find({}, {"source_department_ids": 1, "open_to_all": 1, "admin_user_ids": 1,
                                       "member_user_ids": 1, "member_department_ids": 1}))
    own = list((user or {}).get("department_path") or principal.department_path or [])
    paths = [own]
    if principal.role == "manager" and own:  # departments below theirs, as their users' paths show them
        paths += [u.get("department_path") or [] for u in rt.db.users.find({"department_path": own[-1]},
                                                                            {"department_path": 1})]
    taking = {sources.nearest_pool(path, every) or DEFAULT_ID for path in paths}
    return sorted(p["_id"] for p in every if p["_id"] in taking or membership.is_member(p, user))


def get_visible(rt, pool_id: str, principal) -> dict:
    """A pool the caller may see; one they may not is answered as one that does not exist."""
    visible = visible_to(rt, principal)
    if visible is not None and pool_id not in visible:
        raise NotFound("no such pool")
    return get(rt, pool_id)


def create(rt, body: dict, principal) -> dict:
    if not principal.is_admin:
        raise Forbidden("only an admin creates pools")
    now = rt.clock.now()
    pool = {"member_user_ids": [], "member_department_ids": [], "admin_user_ids": [], "source_department_ids": [],
            "open_to_all": False, **body, "_id": new_id(), "rules": rules.complete(body.get("rules")),
            "version": 1, "created_at": now, "updated_at": now, "created_by": principal.user_id}
    pool = _insert(rt, pool, principal.user_id)
    rehome(rt, pool["source_department_ids"])
    return pool


def update(rt, pool_id: str, body: dict, principal, expected) -> dict:
    """Change a pool (If-Match); new rules re-plan its owned customers' due times at once.

    A pool's admins change its name and rules within bounds; its people and sources only an admin
    (membership.change_refusal)."""
    def work(session):
        pool = get(rt, pool_id, session)
        refusal = membership.change_refusal(principal, pool, body)
        if refusal is not None:
            raise refusal
        concurrency.check(pool, expected)
        changes = {k: v for k, v in body.items() if k != "rules"}
        if "rules" in body:
            changes["rules"] = rules.complete({**pool["rules"], **body["rules"]})
        after = {**pool, **changes, "version": pool["version"] + 1, "updated_at": rt.clock.now()}
        rt.db.pools.replace_one({"_id": pool_id, "version": pool["version"]}, after, session=session)
        announce(rt, session, after, principal.user_id)
        audit.record(rt, session, "pool", pool_id, pool, after, actor=principal.user_id)
        return pool, after
    before, after = rt.transaction(work)
    if after["rules"] != before["rules"]:
        entries.replan_pool(rt, pool_id)  # batch by batch: a big pool does not fit one transaction
    moved = set(before["source_department_ids"]) ^ set(after["source_department_ids"])
    rehome(rt, sorted(moved))
    return after


def rehome(rt, department_ids: list[str], batch: int = 500) -> int:
    """The owned customers of these departments (and those below them) now belong to the pool that names
    their nearest department: their rules are that pool's from now on, and a reclaim takes them there.
    Customers waiting in a pool stay where they are (moving them is a transfer). Batch by batch."""
    if not department_ids:
        return 0
    moved, after = 0, ""
    while True:
        def work(session, after=after):
            found = list(rt.db.pool_entries.find(
                {"status": entries.OWNED, "department_path": {"$in": department_ids}, "_id": {"$gt": after}},
                session=session).sort("_id", 1).limit(batch))
            changed = 0
            for entry in found:
                pool_id = for_department(rt, entry.get("department_path"), session)
                if pool_id != entry.get("pool_id"):
                    entries.save(rt, session, entry["_id"], {"pool_id": pool_id})
                    changed += 1
            # counts and the last id, not the entries: what a transaction returns is kept for a retry
            return len(found), found[-1]["_id"] if found else after, changed
        seen, after, changed = rt.transaction(work)
        moved += changed
        if seen < batch:
            return moved

"""Pool entries: the pool's copy of each customer, owned or in a pool, and its planned due time.

`_id` is the customer id. Statuses: owned, in_pool, deleted. `pending` names the
ownership request the customer service has not answered yet.
"""
from __future__ import annotations

from pymongo import UpdateOne

from ..pools import rules
from ..reclaim import schedule

OWNED, IN_POOL, DELETED = "owned", "in_pool", "deleted"
DEFAULT_POOL_ID = "default"
SNAPSHOT = ("owner_id", "department_path", "collaborator_ids", "level", "lifecycle", "stage", "name")


def plan(entry: dict, pool_rules: dict) -> dict:
    """The planned fields of an entry under its pool's rules (none unless it is owned)."""
    if entry.get("status") != OWNED or not entry.get("owned_since"):
        return {"reclaim_due_at": None, "reclaim_rule": None, "next_due_at": None}
    planned = schedule.schedule(entry, pool_rules)
    return {"reclaim_due_at": planned.reclaim_due_at, "reclaim_rule": planned.rule,
            "next_due_at": planned.next_due_at}


def rules_of(rt, pool_id: str | None, session=None) -> dict:
    pool = rt.db.pools.find_one({"_id": pool_id or DEFAULT_POOL_ID}, {"rules": 1}, session=session) or \
        rt.db.pools.find_one({"_id": DEFAULT_POOL_ID}, {"rules": 1}, session=session) or {}
    return rules.complete(pool.get("rules"))


def save(rt, session, entry_id: str, changes: dict, *, upsert_with: dict | None = None) -> dict | None:
    """Apply `changes` to the entry, then re-plan it from the result; returns the entry."""
    current = rt.db.pool_entries.find_one({"_id": entry_id}, session=session)
    if current is None and upsert_with is None:
        return None
    entry = {**(current or upsert_with), **changes}
    entry.update(plan(entry, rules_of(rt, entry.get("pool_id"), session)))
    rt.db.pool_entries.replace_one({"_id": entry_id}, entry, upsert=True, session=session)
    return entry


def replan_pool(rt, pool_id: str, batch: int = 1000) -> int:
    """Re-plan every owned entry of a pool after its rules changed, one transaction per batch."""
    done, after = 0, ""
    while True:
        def work(session, after=after):
            pool_rules = rules_of(rt, pool_id, session)
            found = list(rt.db.pool_entries.find({"pool_id": pool_id, "status": OWNED, "_id": {"$gt": after}},
                                                 session=session).sort("_id", 1).limit(batch))
            writes = [UpdateOne({"_id": e["_id"]}, {"$set": plan(e, pool_rules)}) for e in found]
            if writes:
                rt.db.pool_entries.bulk_write(writes, ordered=False, session=session)
            return found
        found = rt.transaction(work)
        done += len(found)
        if len(found) < batch:
            return done
        after = found[-1]["_id"]

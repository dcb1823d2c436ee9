"""The reclaim job (DOMAIN §3): warn owners ahead of a reclaim, then ask for the customer back.

It reads only entries whose `next_due_at` has passed, through the index on
(status, next_due_at), and writes each batch in one transaction (bulk entry
updates, one insert of movements, one outbox write), so its cost follows the
number of customers due, not the number held. It is idempotent: an entry it has
handled is no longer due, and a second run finds nothing. The decision is the
pool's, from its copy; the customer service applies it only if the owner and
the last follow-up are still what the pool saw (see the customer service's ownership.py).
"""
from __future__ import annotations

from pymongo import UpdateOne

from crm_common import scheduler
from crm_common.kernel import ownership

from ..movements import log
from ..pools import pools
from ..tracking import entries
from ..tracking.entries import IN_POOL, OWNED
from . import schedule

BATCH = 500


def reclaim_due(rt, *, batch: int = BATCH) -> dict:
    """Scheduled job `reclaim-due`, run under a lease by one replica at a time."""
    now = rt.clock.now()
    totals = {"reclaimed": 0, "warned": 0, "replanned": 0}
    while True:
        scheduler.check()  # a replica that lost the job's lease reclaims no more
        counts = rt.transaction(lambda session: _pass(rt, session, now, batch))
        for key in totals:
            totals[key] += counts[key]
        if counts["seen"] < batch:
            return totals


def _pass(rt, session, now, batch: int) -> dict:
    due = list(rt.db.pool_entries.find({"status": OWNED, "next_due_at": {"$lte": now}}, session=session)
               .sort("next_due_at", 1).limit(batch))
    pool_rules = pools.rules_by_pool(rt, session)
    writes, moved, events = [], [], []
    counts = {"seen": len(due), "reclaimed": 0, "warned": 0, "replanned": 0}
    for entry in due:
        the_rules = pool_rules.get(entry.get("pool_id")) or pool_rules[pools.DEFAULT_ID]
        planned = schedule.schedule(entry, the_rules)
        if schedule.is_due(planned, now):
            movement, changes = _reclaim(rt, session, entry, planned.rule, now)
            moved.append(movement)
            events.append(log.request_event(rt, movement, ownership.expectation(entry)))
            counts["reclaimed"] += 1
        else:
            changes, warning = _warn(rt, entry, the_rules, planned, now)
            if warning:
                events.append(warning)
                counts["warned"] += 1
            else:
                counts["replanned"] += 1  # rules or exemptions changed: only its plan moves
        writes.append(UpdateOne({"_id": entry["_id"]}, {"$set": changes}))
    if writes:
        rt.db.pool_entries.bulk_write(writes, ordered=False, session=session)
    if moved:
        rt.db.movements.insert_many(moved, session=session)
    if events:
        rt.publish(session, *events)
    return counts


def _reclaim(rt, session, entry: dict, rule: str, now) -> tuple[dict, dict]:
    target = pools.for_department(rt, entry.get("department_path"), session) if entry.get("pool_id") is None \
        else entry["pool_id"]
    movement = log.new(kind="reclaim", customer_id=entry["_id"], pool_id=target, actor="system", at=now,
                       user_id=entry["owner_id"], from_owner_id=entry["owner_id"], rule=rule,
                       reason=f"reclaimed by the rule {rule}", departments=[entry.get("department_path")])
    changes = {"status": IN_POOL, "owner_id": None, "previous_owner_id": entry["owner_id"], "reclaimed_at": now,
               "pool_id": target, "pending": {"request_id": movement["request_id"], "kind": "reclaim"},
               "next_due_at": None, "reclaim_due_at": None, "reclaim_rule": None}
    return movement, changes


def _warn(rt, entry: dict, the_rules: dict, planned, now) -> tuple[dict, dict | None]:
    """Send the most urgent warning that has come due (schedule.warning_to_send), and re-plan the entry."""
    warned, days = schedule.warning_to_send(entry, planned, now)
    after = {**entry, "warned": warned, "warned_due_at": planned.reclaim_due_at}
    changes = {"warned": warned, "warned_due_at": planned.reclaim_due_at, **entries.plan(after, the_rules)}
    if days is None:
        return changes, None
    return changes, rt.event("crm.pool.reclaim_warning", entry["_id"], {
        "customer_id": entry["_id"], "owner_id": entry["owner_id"], "pool_id": entry.get("pool_id"),
        "rule": planned.rule, "days_before": days, "reclaim_due_at": planned.reclaim_due_at.isoformat(),
        "warned_at": now.isoformat()})

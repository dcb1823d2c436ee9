"""Pending reminders: one document per occurrence, keyed by it, with its `fire_at` indexed.

The scheduling pass reads only reminders whose `fire_at` has come (index on status + fire_at),
in batches, so its cost follows the number due, not the number of customers. Each batch is taken
(`pending` -> `sent`) and fanned out in one transaction.
"""
from __future__ import annotations

from pymongo import UpdateOne

from . import fanout

PENDING, SENT, CANCELLED = "pending", "sent", "cancelled"
BATCH = 500


def insert_fields(reminder: dict, now) -> dict:
    doc = {k: v for k, v in reminder.items() if k not in ("_id", "status", "run")}
    return {"to": "owner", **doc, "status": PENDING, "created_at": now}


def schedule(rt, session, reminder: dict) -> bool:
    """Keep `reminder` until its `fire_at`; an occurrence already known stays as it is. True if new."""
    done = rt.db.reminders.update_one({"_id": reminder["_id"]},
                                      {"$setOnInsert": insert_fields(reminder, rt.clock.now())},
                                      upsert=True, session=session)
    return done.upserted_id is not None


def insert_many(rt, session, reminders: list[dict]) -> None:
    """New occurrences whose keys cannot exist yet (derived from one that fired just now, once)."""
    if reminders:
        now = rt.clock.now()
        rt.db.reminders.insert_many([{"_id": r["_id"], **insert_fields(r, now)} for r in reminders],
                                    ordered=False, session=session)


def schedule_many(rt, session, reminders: list[dict]) -> None:
    if reminders:
        now = rt.clock.now()
        rt.db.reminders.bulk_write([UpdateOne({"_id": r["_id"]}, {"$setOnInsert": insert_fields(r, now)},
                                              upsert=True) for r in reminders], ordered=False, session=session)


def raise_now(rt, session, reminder: dict) -> int:
    """An event-driven reminder: delivered at once, and only the first time its key is seen."""
    now = rt.clock.now()
    reminder = {**reminder, "fire_at": now, "due_at": reminder.get("due_at") or now}
    if not schedule(rt, session, reminder):
        return 0
    rt.db.reminders.update_one({"_id": reminder["_id"]}, {"$set": {"status": SENT, "sent_at": now}},
                               session=session)
    return fanout.fire(rt, session, [{"to": "owner", **reminder}])


def deliver_due(rt, batch: int = BATCH, max_batches: int = 1000) -> dict:
    """Scheduled job: every pending reminder whose time has come reaches its recipients, once.

    First the plans catch up with any change of the reminder settings, so nothing fires on the old ones.
    """
    from . import plan  # a cycle: plans schedule through here
    plan.follow_settings(rt)
    delivered = fired = 0
    for _ in range(max_batches):
        taken, items = rt.transaction(lambda s: _take_and_fire(rt, s, batch))
        if not taken:
            break
        fired, delivered = fired + taken, delivered + items
    return {"fired": fired, "delivered": delivered}


def _take_and_fire(rt, session, batch: int) -> tuple[int, int]:
    now = rt.clock.now()
    due = list(rt.db.reminders.find({"status": PENDING, "fire_at": {"$lte": now}}, session=session)
               .sort("fire_at", 1).limit(batch))
    if not due:
        return 0, 0
    # Taken by id: inside a transaction a range update costs this server time in proportion to the
    # collection (measured in bench/notify.py), an update per id only in proportion to the batch.
    done = rt.db.reminders.bulk_write([UpdateOne({"_id": r["_id"], "status": PENDING},
                                                 {"$set": {"status": SENT, "sent_at": now}}) for r in due],
                                      ordered=False, session=session).modified_count
    if done != len(due):
        raise RuntimeError(f"{done} reminders taken for {len(due)} read; the job runs again")
    return len(due), fanout.fire(rt, session, due)


def cancel(rt, session, query: dict) -> None:
    rt.db.reminders.update_many({**query, "status": PENDING}, {"$set": {"status": CANCELLED}}, session=session)


def cancel_with_steps(rt, session, query: dict) -> None:
    """Cancel the pending reminders `query` finds, and the pending escalation steps of any it finds
    (a step is planned when its reminder fires, so a sent one may have one)."""
    keys = [r["_id"] for r in rt.db.reminders.find(query, {"_id": 1}, session=session)]
    if keys:
        scope = {"customer_id": query["customer_id"]} if "customer_id" in query else {}
        cancel(rt, session, {**scope, "$or": [{"_id": {"$in": keys}},
                                              {"kind": "overdue", "data.origin_key": {"$in": keys}}]})

"""Reminders reaching people: the scheduling job fires every pending one whose time has come, and an
event-driven one is fired the moment its event arrives.

The scheduling pass reads only reminders whose `fire_at` has come (index on status + fire_at),
in batches, so its cost follows the number due, not the number of customers. Each batch is taken
(`pending` -> `sent`) and fanned out in one transaction.
"""
from __future__ import annotations

from pymongo import UpdateOne

from crm_common import scheduler

from . import fanout, plan, store
from .store import PENDING, SENT

BATCH = 500


def raise_now(rt, session, reminder: dict) -> int:
    """An event-driven reminder: delivered at once, and only the first time its key is seen."""
    now = rt.clock.now()
    reminder = {**reminder, "fire_at": now, "due_at": reminder.get("due_at") or now}
    if not store.schedule(rt, session, reminder):
        return 0
    rt.db.reminders.update_one({"_id": reminder["_id"]}, {"$set": {"status": SENT, "sent_at": now}},
                               session=session)
    return fanout.fire(rt, session, [{"to": "owner", **reminder}])


def deliver_due(rt, batch: int = BATCH, max_batches: int = 1000) -> dict:
    """Scheduled job: every pending reminder whose time has come reaches its recipients, once.

    First the plans catch up with any change of the reminder settings, so nothing fires on the old ones.
    """
    plan.follow_settings(rt)
    delivered = fired = 0
    for _ in range(max_batches):
        scheduler.check()  # a replica that lost the job's lease takes no more reminders
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

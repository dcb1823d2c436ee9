"""Pending reminders: one document per occurrence, keyed by it, with its `fire_at` indexed
(`pending` until it fires, then `sent`; `cancelled` when no longer wanted)."""
from __future__ import annotations

from pymongo import UpdateOne

PENDING, SENT, CANCELLED = "pending", "sent", "cancelled"


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

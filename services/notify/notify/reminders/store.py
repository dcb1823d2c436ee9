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


def cancel_with_steps(rt, session, customer_id: str, kind: str, wanted) -> None:
    """Cancel the customer's pending reminders of `kind` that `wanted(reminder)` picks, and the pending
    escalation steps of any it picks (a step is planned when its reminder fires, so a sent one may
    have one). The customer's reminders are read through its index and picked here: a query with
    `$or` is not served by an index on every server, and this runs for each follow-up and stage move."""
    found = rt.db.reminders.find({"customer_id": customer_id, "kind": kind}, {"data": 1}, session=session)
    keys = [r["_id"] for r in found if wanted(r.get("data") or {})]
    if keys:
        cancel(rt, session, {"customer_id": customer_id, "_id": {"$in": keys}})
        cancel(rt, session, {"customer_id": customer_id, "kind": "overdue", "data.origin_key": {"$in": keys}})

"""Tasks (待办) of the customer service: the assignee is reminded at the due time, and a task still open
after it escalates as a neglected follow-up does (rules.escalation: supervisor, then department manager).

A task has one pending reminder, keyed by its assignee and due time: a reassignment or a new due time
replaces it (with its escalation steps), completing or cancelling removes it. A key already sent stays
sent, so each assignee hears of each due time once.
"""
from __future__ import annotations

from pymongo import UpdateOne

from crm_common.events import parse_time

from . import settings, store
from .rules import escalation

KIND = "task_due"
CHANGES = ("created", "assigned", "updated", "completed", "cancelled")


def reminder(data: dict) -> dict:
    """The reminder task event `data` asks for (at its due time: reminders have no lead time setting)."""
    due = parse_time(data["due_at"])
    related = data.get("related") or {}
    return {"_id": f"task:{data['task_id']}:{data['assignee_id']}:{due:%Y%m%dT%H%M%S}", "kind": KIND, "to": "user",
            "task_id": data["task_id"], "customer_id": data.get("customer_id") or related.get("customer_id"),
            "user_id": data["assignee_id"], "fire_at": due, "due_at": due,
            "data": {"title": data["title"], "priority": data.get("priority"), "related_kind": related.get("kind"),
                     "related_id": related.get("id"), "version": data.get("version"),
                     **({"escalate_at": list(data["escalate_at"])} if data.get("escalate_at") else {})}}


def changed(rt, session, data: dict) -> None:
    """crm.task.created, assigned, updated, completed, cancelled: keep the one reminder the task wants."""
    wanted = reminder(data) if data.get("status") == "open" else None
    keep = [wanted["_id"]] if wanted else []
    rt.db.reminders.update_many({"task_id": data["task_id"], "status": store.PENDING,
                                 "_id": {"$nin": keep}, "data.origin_key": {"$nin": keep}},
                                {"$set": {"status": store.CANCELLED}}, session=session)
    if wanted:  # one cancelled by an earlier change (reassigned away and back) is wanted again
        rt.db.reminders.bulk_write([
            UpdateOne({"_id": wanted["_id"], "status": store.CANCELLED}, {"$set": {"status": store.PENDING}}),
            UpdateOne({"_id": wanted["_id"]}, {"$setOnInsert": store.insert_fields(wanted, rt.clock.now())},
                      upsert=True)], ordered=True, session=session)


def overdue(rt, session, data: dict) -> None:
    """crm.task.overdue: the escalation begins, as when the due reminder fires (same steps, same key,
    so whichever comes first plans it once)."""
    if data.get("status") != "open":
        return
    due = reminder(data)
    base = {k: due.get(k) for k in ("customer_id", "user_id", "task_id")}
    store.schedule_many(rt, session, escalation(due, base, settings.reminder_settings(rt, session)))

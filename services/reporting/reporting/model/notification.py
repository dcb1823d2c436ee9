"""One reminder sent to one user, from its crm.notification.sent / failed events: one record, whatever
the channels (inbox, email, robots, webhooks), so `reminders_sent` counts the reminder once.

Each delivery keeps its latest outcome (by its event's version: a failed delivery an admin retried
and sent counts as sent). The record is sent when any delivery reached the user, on the day and
channel of the first that did, and failed only when every delivery failed. Built from the set of
outcomes, so arrival order and redelivery change nothing.
"""
from __future__ import annotations

from .days import parse


def record_id(data: dict) -> str:
    """`notice:<reminder key>:<user>`. Events published before `reminder_key` existed name the
    reminder only inside the occurrence key `<reminder key>:<user>:<channel>[:<robot>]`."""
    reminder = data.get("reminder_key")
    if not reminder:
        reminder = data["key"]
        for suffix in (data.get("robot_id"), data["channel"], data["user_id"]):
            if suffix and reminder.endswith(":" + suffix):
                reminder = reminder[:-len(suffix) - 1]
    return f"notice:{reminder}:{data['user_id']}"


def new(record: str) -> dict:
    return {"_id": record, "deliveries": {}, "channel": None, "campaign": None}


def apply(doc: dict, data: dict, status: str, at: str, version: int) -> dict:
    """The record after one delivery's outcome; an older outcome of a delivery changes nothing."""
    held = doc["deliveries"].get(data["delivery_id"])
    if held is not None and held["v"] > version:
        return doc
    doc["deliveries"][data["delivery_id"]] = {"status": status, "via": data["channel"], "at": at, "v": version}
    outcomes = list(doc["deliveries"].values())
    sent = [d for d in outcomes if d["status"] == "sent"]
    shown = min(sent, key=lambda d: (parse(d["at"]), d["via"])) if sent else \
        max(outcomes, key=lambda d: (parse(d["at"]), d["via"]))
    doc.update(status=shown["status"], via=shown["via"], at=shown["at"], reminder=data["kind"],
               customer_id=data.get("customer_id"))
    return doc

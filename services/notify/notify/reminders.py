"""Reminders due later (DOMAIN §4): kept until their time, then put in the owner's inbox.

This slice covers the reminders the customer service schedules: a stage's
follow-up action (e.g. `proposal` -> follow up in 7 days) and the next contact
time of the latest follow-up. Cadence by level, escalation and other channels
come with the notify issue.
"""
from __future__ import annotations

from crm_common.events import parse_time

from . import inbox

PENDING, SENT, CANCELLED = "pending", "sent", "cancelled"


def _schedule(rt, session, *, key: str, customer: dict, kind: str, due_at: str, title: str, body: str) -> None:
    rt.db.reminders.update_one({"_id": key}, {"$setOnInsert": {
        "user_id": customer["owner_id"], "customer_id": customer["customer_id"], "kind": kind,
        "due_at": parse_time(due_at), "title": title, "body": body, "status": PENDING}}, upsert=True, session=session)


def stage_action(rt, session, event: dict) -> None:
    """Handle crm.customer.followup_scheduled: the stage just entered asks for a follow-up by `due_at`."""
    if not event.get("owner_id"):
        return
    _schedule(rt, session, key=f"stage:{event['customer_id']}:{event['scheduled_at']}", customer=event,
              kind="stage_followup", due_at=event["due_at"], title=f"Follow up {event['name']}",
              body=f"Entering {event['stage']} asked for a follow-up ({event['action']}) by now.")


def next_contact(rt, session, event: dict) -> None:
    """Handle crm.customer.followed_up: remind of the next contact time; an earlier plan is replaced."""
    rt.db.reminders.update_many({"customer_id": event["customer_id"], "kind": "next_contact", "status": PENDING},
                                {"$set": {"status": CANCELLED}}, session=session)
    if event.get("next_contact_at") and event.get("owner_id"):
        _schedule(rt, session, key=f"next-contact:{event['followup_id']}", customer=event, kind="next_contact",
                  due_at=event["next_contact_at"], title=f"Contact {event['name']} now",
                  body=f"Planned at the last follow-up: {event.get('next_plan') or 'next contact'}.")


def owner_changed(rt, session, event: dict) -> None:
    """Handle crm.customer.owner_changed: pending reminders follow the customer; none while it is in the pool."""
    change = {"user_id": event["to_owner_id"]} if event.get("to_owner_id") else {"status": CANCELLED}
    _change_pending(rt, session, event["customer_id"], change)


def deleted(rt, session, event: dict) -> None:
    """Handle crm.customer.deleted: nothing more to remind of."""
    _change_pending(rt, session, event["customer_id"], {"status": CANCELLED})


def _change_pending(rt, session, customer_id: str, change: dict) -> None:
    rt.db.reminders.update_many({"customer_id": customer_id, "status": PENDING}, {"$set": change}, session=session)


def deliver_due(rt) -> dict:
    """Scheduled job: every pending reminder whose time has come goes to its owner's inbox, once."""
    sent = 0
    for reminder in list(rt.db.reminders.find({"status": PENDING, "due_at": {"$lte": rt.clock.now()}}).limit(500)):
        sent += rt.transaction(lambda s, r=reminder: _deliver(rt, s, r))
    return {"delivered": sent}


def _deliver(rt, session, reminder: dict) -> int:
    taken = rt.db.reminders.update_one({"_id": reminder["_id"], "status": PENDING},
                                       {"$set": {"status": SENT, "sent_at": rt.clock.now()}}, session=session)
    if not taken.modified_count:
        return 0  # cancelled or sent by another run meanwhile
    inbox.deliver(rt, session, key=f"reminder:{reminder['_id']}", user_id=reminder["user_id"], kind=reminder["kind"],
                  title=reminder["title"], body=reminder["body"], customer_id=reminder["customer_id"])
    return 1

"""Goals end an enrollment before its next step: the customer reaches a lifecycle class
(crm.customer.lifecycle_changed) or a deal a stage (crm.opportunity.stage_changed), the contact replies
(`contact_replied`, called by whoever receives the reply: the SMS callback) or clicks a link of a step's
email (the tracked redirect). An opt-out (crm.contact.unsubscribed) ends every enrollment of the
contact, whatever its goals."""
from __future__ import annotations

from .. import state
from . import enrollments, rules


def lifecycle_changed(rt, session, data: dict) -> None:
    reached(rt, session, {"customer_id": data["customer_id"]}, {"type": "lifecycle", "to": data["to"]})


def stage_changed(rt, session, data: dict) -> None:
    """A deal's stage; the customer's own stage (crm.customer.stage_changed) counts alike."""
    reached(rt, session, {"customer_id": data["customer_id"]}, {"type": "stage", "to": data["to"]})


def contact_replied(rt, session, contact_id: str) -> int:
    """The contact answered (an SMS reply, an email reply): enrollments with a reply goal end."""
    return reached(rt, session, {"contact_id": contact_id}, {"type": "reply"})


def replied_from(rt, session, *, mobile: str) -> int:
    """A text message came from `mobile` (not an opt-out): a reply of every contact with that number."""
    return sum(contact_replied(rt, session, c["_id"])
               for c in rt.db.contacts.find({"mobile": mobile}, {"_id": 1}, session=session))


def clicked(rt, session, enrollment_id: str) -> int:
    """A link of one of the enrollment's emails was followed: the contact's enrollments with a click goal end."""
    enrollment = rt.db.enrollments.find_one({"_id": enrollment_id}, {"contact_id": 1}, session=session)
    if enrollment is None:
        return 0
    return reached(rt, session, {"contact_id": enrollment["contact_id"]}, {"type": "click"})


def unsubscribed(rt, session, data: dict) -> None:
    """crm.contact.unsubscribed: the opt-out interrupts every sequence of the contact."""
    enrollments.end(rt, session, {"contact_id": data["contact_id"]}, "unsubscribed",
                    f"opted_out_{data.get('channel') or 'all'}")


def reached(rt, session, query: dict, signal: dict) -> int:
    active = list(rt.db.enrollments.find({**query, "status": "active"}, {"sequence_id": 1}, session=session))
    if not active:
        return 0
    sequences = state.by_id(rt.db.sequences, [e["sequence_id"] for e in active], session)
    met = [e["_id"] for e in active
           if e["sequence_id"] in sequences and rules.goal_met(sequences[e["sequence_id"]].get("goals") or [], signal)]
    if not met:
        return 0
    reason = signal["type"] + (f":{signal['to']}" if signal.get("to") else "")
    return enrollments.end(rt, session, {"_id": {"$in": met}}, "goal_reached", reason)

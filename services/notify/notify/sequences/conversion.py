"""A converted lead is one person with the customer's contact made from it (the first listed in
crm.customer.created with `source_lead_id`): the lead's active enrollments move to that contact, and
what was sent to the lead counts toward the contact's weekly cap (contacts/outbox.py reads `from_leads`).

A sequence the contact is already active in keeps the contact's enrollment; the lead's ends as
`merged`, so one person never gets one sequence twice. An enrollment that moves keeps its step and
its outcomes, and takes the contact's time zone for its send windows."""
from __future__ import annotations

from ..contacts import store
from . import enrollments, rules

MERGED = "merged"


def lead_became(rt, session, lead_id: str, contact_id: str) -> int:
    """Move the lead's active enrollments to the contact; how many moved."""
    contact = store.get(rt, contact_id, session)
    if contact is None or contact_id == lead_id:
        return 0
    rt.db.contacts.update_one({"_id": contact_id}, {"$addToSet": {"from_leads": lead_id}}, session=session)
    moved = 0
    for enrollment in rt.db.enrollments.find({"contact_id": lead_id, "status": "active"}, session=session):
        key = f"{enrollment['sequence_id']}:{contact_id}"
        if rt.db.enrollments.find_one({"open": key}, {"_id": 1}, session=session):
            enrollments.end(rt, session, {"_id": enrollment["_id"]}, MERGED, "contact_already_enrolled")
            continue
        rt.db.enrollments.update_one({"_id": enrollment["_id"], "status": "active"}, {"$set": {
            "contact_id": contact_id, "customer_id": contact.get("customer_id"), "lead_id": lead_id,
            "open": key, **_zoned(rt, session, enrollment, contact.get("timezone"))}}, session=session)
        moved += 1
    return moved


def zone_moved(rt, session, contact_id: str, zone: str | None) -> None:
    """The contact's time zone changed: its active enrollments' send windows are in the new one."""
    for enrollment in rt.db.enrollments.find({"contact_id": contact_id, "status": "active"}, session=session):
        rt.db.enrollments.update_one({"_id": enrollment["_id"], "step": enrollment["step"]},
                                     {"$set": _zoned(rt, session, enrollment, zone)}, session=session)


def _zoned(rt, session, enrollment: dict, zone: str | None) -> dict:
    """The enrollment's zone and its next step's time moved to the window's next opening there (never sooner)."""
    sequence = rt.db.sequences.find_one({"_id": enrollment["sequence_id"]}, {"steps": 1}, session=session)
    steps = (sequence or {}).get("steps") or []
    window = steps[enrollment["step"]].get("window") if enrollment["step"] < len(steps) else None
    due = enrollment["next_at"]
    due = due if due.tzinfo else due.replace(tzinfo=rules.zone("UTC"))
    return {"timezone": zone, "next_at": rules.in_window(due, window, zone)}

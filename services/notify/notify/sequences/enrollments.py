"""Enrolling contacts in a sequence, one by id or many by a filter, and ending enrollments.

One active enrollment per (sequence, contact): the unique index on `open` ("<sequence>:<contact>", set
only while active) holds it even when two enrollments race. A contact is skipped, with the reason
counted, when it is enrolled already, may not be enrolled again (yet), has no consent on any of the
sequence's channels, has opted out of them, or speaks another language than the sequence."""
from __future__ import annotations

from collections import Counter

from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_common.paging import new_id

from ..contacts import store as contacts
from . import rules

BATCH = 500
MAX_FILTERED = 20_000  # contacts one filtered enrollment takes; the answer says how many it took


def enroll_one(rt, session, sequence: dict, contact_id: str, by: dict) -> tuple[str | None, str | None]:
    """(enrollment id, None) or (None, why skipped)."""
    contact = contacts.get(rt, contact_id, session=session)
    if contact is None:
        return None, "unknown_contact"
    past = list(rt.db.enrollments.find({"sequence_id": sequence["_id"], "contact_id": contact_id}, session=session))
    reason = contact_refusal(sequence, contact) or rules.enrollment_refusal(sequence, past, rt.clock.now())
    if reason:
        return None, reason
    row = _row(rt, sequence, contact, by)
    try:
        rt.db.enrollments.insert_one(row, session=session)
    except DuplicateKeyError:
        return None, "already_enrolled"
    return row["_id"], None


def enroll_many(rt, sequence: dict, contact_ids: list[str], by: dict, visible=lambda contact: True) -> dict:
    """`visible(contact)`: whether the caller may reach it; one that may not counts as unknown."""
    skipped: Counter = Counter()
    made: list[str] = []
    for start in range(0, len(contact_ids), BATCH):
        ids = contact_ids[start:start + BATCH]
        found = {c["_id"]: c for c in rt.db.contacts.find({"_id": {"$in": ids}}) if visible(c)}
        past: dict = {}
        for e in rt.db.enrollments.find({"sequence_id": sequence["_id"], "contact_id": {"$in": ids}}):
            past.setdefault(e["contact_id"], []).append(e)
        rows = []
        for contact_id in ids:
            contact = found.get(contact_id)
            reason = ("unknown_contact" if contact is None else contact_refusal(sequence, contact)
                      or rules.enrollment_refusal(sequence, past.get(contact_id, []), rt.clock.now()))
            if reason:
                skipped[reason] += 1
            else:
                rows.append(_row(rt, sequence, contact, by))
        made += _insert(rt, rows, skipped)
    return {"enrolled": len(made), "skipped": sum(skipped.values()), "skipped_by_reason": dict(skipped),
            "enrollment_ids": made[:100]}


def _insert(rt, rows: list[dict], skipped: Counter) -> list[str]:
    if not rows:
        return []
    try:
        rt.db.enrollments.insert_many(rows, ordered=False)
        return [r["_id"] for r in rows]
    except BulkWriteError as exc:  # a racing enrollment of the same contact took it first
        lost = {rows[e["index"]]["_id"] for e in exc.details["writeErrors"]}
        skipped["already_enrolled"] += len(lost)
        return [r["_id"] for r in rows if r["_id"] not in lost]


def contact_refusal(sequence: dict, contact: dict) -> str | None:
    channels = {s["channel"] for s in sequence["steps"]}
    if (contact.get("language") or "zh") != (sequence.get("language") or "zh"):
        return "other_language"
    reachable = [c for c in channels if ((contact.get("consent") or {}).get(c) or {}).get("granted")]
    if not reachable:
        return "no_consent"
    if all((contact.get("suppressed") or {}).get(c) for c in reachable):
        return "unsubscribed"
    return None


def _row(rt, sequence: dict, contact: dict, by: dict) -> dict:
    now = rt.clock.now()
    return {"_id": new_id(),
            "sequence_id": sequence["_id"], "contact_id": contact["_id"], "customer_id": contact.get("customer_id"),
            "lead_id": contact.get("lead_id"), "timezone": contact.get("timezone"), "status": "active",
            "open": f"{sequence['_id']}:{contact['_id']}", "step": 0, "enrolled_at": now, "by": by,
            "next_at": rules.step_due(now, sequence["steps"][0], contact.get("timezone")), "outcomes": []}


def end(rt, session, query: dict, status: str, reason: str) -> int:
    """End the active enrollments `query` finds (a goal reached, an opt-out): no further step goes."""
    return rt.db.enrollments.update_many(
        {**query, "status": "active"},
        {"$set": {"status": status, "end_reason": reason, "ended_at": rt.clock.now()}, "$unset": {"open": ""}},
        session=session).modified_count

"""Queueing a message to a contact: the one way greetings, transactional mail and sequences write a
delivery row. What may go is decided here, in the caller's transaction, and checked again at send
time (sending.py), so an opt-out between the two still stops a marketing message.

Marketing goes only with consent on that channel, never to a suppressed address, and at most
`NOTIFY_MARKETING_PER_WEEK` (default 2) a contact in any 7 days, whatever sent them (to a customer's
contact, counting what went to the lead it was converted from). A transactional
message (a quote or a contract sent) needs no consent. The `key` is unique among deliveries, so one
step sends once to one recipient however often it is queued.
"""
from __future__ import annotations

from datetime import timedelta

from crm_common.paging import new_id

from . import store, suppression

CAP_WINDOW = timedelta(days=7)
DEFAULT_CAP = 2


def cap(rt) -> int:
    return rt.settings.value("NOTIFY_MARKETING_PER_WEEK", DEFAULT_CAP, int)


def refusal(rt, contact: dict | None, channel: str, marketing: bool, session=None) -> str | None:
    """Why `contact` may not be sent this now, or None: shared by queueing and the send itself."""
    address = (contact or {}).get(suppression.ADDRESS_FIELD[channel])
    if not contact or contact.get("removed") or not address or (contact.get("bounced") or {}).get(channel):
        return "no_address"
    if not marketing:
        return None
    if suppression.suppressed(rt, contact, channel, address, session):
        return "suppressed"
    if not ((contact.get("consent") or {}).get(channel) or {}).get("granted"):
        return "no_consent"
    return None


def queue(rt, session, *, contact_id: str, channel: str, kind: str, subject: str | None, body: str,
          marketing: bool, key: str, attachments: list[dict] | None = None, sequence: dict | None = None) -> str:
    """"queued" | "no_consent" | "suppressed" | "no_address" | "capped" | "duplicate"."""
    if rt.db.deliveries.find_one({"key": key}, {"_id": 1}, session=session):
        return "duplicate"
    contact = store.get(rt, contact_id, session)
    refused = refusal(rt, contact, channel, marketing, session)
    if refused:
        return refused
    now = rt.clock.now()
    # the person's marketing, also what it was sent as a lead before it became this contact
    person = [contact_id, *(contact.get("from_leads") or [])]
    if marketing and rt.db.deliveries.count_documents({
            "recipient.contact_id": {"$in": person}, "marketing": True, "created_at": {"$gte": now - CAP_WINDOW},
            "status": {"$ne": "refused"}}, session=session) >= cap(rt):
        return "capped"
    address = contact[suppression.ADDRESS_FIELD[channel]]
    rt.db.deliveries.insert_one({
        "_id": new_id(), "key": key, "channel": channel, "kind": kind, "marketing": bool(marketing),
        "recipient": {"kind": "contact", "contact_id": contact_id, "address": address},
        "to": address, "title": subject or "", "body": body,
        "attachments": attachments or [], **({"sequence": sequence} if sequence else {}),
        "user_id": None, "customer_id": contact.get("customer_id"), "lead_id": contact.get("lead_id"),
        "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": None, "created_at": now},
        session=session)
    return "queued"

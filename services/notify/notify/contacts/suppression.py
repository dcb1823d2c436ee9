"""Opt-outs and stopped channels.

An opt-out (an unsubscribe link, an SMS reply of 退订) is kept twice: on the suppression list, by
channel and address, so whoever else holds that address is never sent marketing either (a lead and
the customer contact it became, two customers sharing one mailbox), and on each contact with the
address, published once per contact and channel as crm.contact.unsubscribed for the customer
service to show. A bounce or an invalid number only stops that channel for the contact: every
message, transactional too, since none can arrive.
"""
from __future__ import annotations

from . import store

ADDRESS_FIELD = {"email": "email", "sms": "mobile"}


def _key(channel: str, address: str) -> str:
    return f"{channel}:{address}"


def suppress(rt, session, *, channel: str, address: str | None = None, contact_id: str | None = None,
             source: str) -> list[str]:
    """Record the opt-out of `address` (or of `contact_id`'s address) on `channel`; the contact ids it reached."""
    field, now = ADDRESS_FIELD[channel], rt.clock.now()
    if address is None and contact_id is not None:
        address = (store.get(rt, contact_id, session) or {}).get(field)
    if address:
        rt.db.suppressions.update_one({"_id": _key(channel, address)}, {"$setOnInsert": {
            "channel": channel, "address": address, "at": now, "source": source}}, upsert=True, session=session)
    reach = [{"_id": contact_id}] if contact_id else []
    if address:
        reach.append({field: address})
    if not reach:
        return []
    found = list(rt.db.contacts.find({"$or": reach}, session=session))
    events = []
    for contact in found:
        if (contact.get("suppressed") or {}).get(channel):
            continue  # already out: the customer service has heard of it once
        rt.db.contacts.update_one({"_id": contact["_id"]}, {"$set": {
            f"suppressed.{channel}": {"at": now, "source": source}}}, session=session)
        events.append(rt.event("crm.contact.unsubscribed", contact["_id"], {
            "contact_id": contact["_id"], "kind": contact.get("kind"), "customer_id": contact.get("customer_id"),
            "lead_id": contact.get("lead_id"), "channel": channel, "source": source,
            "unsubscribed_at": now.isoformat()}, key=contact.get("customer_id") or contact.get("lead_id")))
    if events:
        rt.publish(session, *events)
    return [c["_id"] for c in found]


def stop_channel(rt, session, *, contact_id: str, channel: str, reason: str) -> None:
    """A bounce or an invalid number: nothing more goes to this contact on `channel`."""
    rt.db.contacts.update_one({"_id": contact_id}, {"$set": {
        f"bounced.{channel}": {"at": rt.clock.now(), "reason": reason[:200]}}}, session=session)


def suppressed(rt, contact: dict, channel: str, address: str | None, session=None) -> bool:
    """Opted out on `channel`: the contact itself, or its address by anyone who had it."""
    if (contact.get("suppressed") or {}).get(channel):
        return True
    return bool(address) and rt.db.suppressions.find_one({"_id": _key(channel, address)}, {"_id": 1},
                                                         session=session) is not None

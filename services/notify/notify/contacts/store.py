"""Notify's copy of each customer contact and lead it may write to, one document per person in
`contacts` (`_id`: the customer contact's id, or the lead's id), built from events only.

A document: kind ("customer_contact" | "lead"), customer_id, lead_id, name, email, mobile, language,
timezone, primary, birthday, from_leads (the leads the person was before it became this contact), consent {channel: {granted, source, at}}, suppressed {channel: {at, source}},
bounced {channel: {at, reason}}, removed (the customer dropped the contact). Consent, opt-outs and
bounces are notify's own and never come from a snapshot, so a later snapshot cannot undo them.
"""
from __future__ import annotations

from pymongo import UpdateOne

from crm_common.kernel import identity
from crm_common.kernel.refusals import NotFound
from crm_common.kernel.scope import customer_scope

CHANNELS = ("email", "sms")


def get(rt, contact_id: str, session=None) -> dict | None:
    return rt.db.contacts.find_one({"_id": contact_id}, session=session)


def addresses(contact_view: dict) -> dict:
    """The email and mobile of a contact as an event shows it; older events carry only the lists."""
    emails, phones = contact_view.get("emails") or [], contact_view.get("phones") or []
    return {"email": contact_view.get("email") or (emails[0] if emails else None),
            "mobile": contact_view.get("mobile") or identity.mobile(phones)}


def consent_entry(granted: bool, source: str, at) -> dict:
    return {"granted": bool(granted), "source": source, "at": at}


def set_consent(rt, session, contact_id: str, channel: str, entry: dict) -> None:
    rt.db.contacts.update_one({"_id": contact_id}, {"$set": {f"consent.{channel}": entry}}, session=session)


def upsert(rt, session, contact_id: str, fields: dict, version: int | None = None) -> None:
    """Set what an event says of the person; a snapshot older than the one kept changes nothing."""
    write = changes(rt.db.contacts.find_one({"_id": contact_id}, session=session), contact_id, fields, version)
    if write is not None:
        rt.db.contacts.bulk_write([write], session=session)


def changes(held: dict | None, contact_id: str, fields: dict, version: int | None) -> UpdateOne | None:
    """The write that brings `held` (the stored contact, None if new) to what a snapshot says, or None
    when it says nothing new: only changed fields are written, and none from an older snapshot."""
    stamp = {"snapshot_version": version} if version is not None else {}
    if held is None:
        return UpdateOne({"_id": contact_id}, {"$set": {**fields, **stamp}, "$setOnInsert": {
            "consent": {}, "suppressed": {}, "bounced": {}}}, upsert=True)
    if version is not None and (held.get("snapshot_version") or 0) > version:
        return None
    changed = {k: v for k, v in fields.items() if held.get(k) != v}
    return UpdateOne({"_id": contact_id}, {"$set": {**changed, **stamp}}) if changed else None


def visible(rt, principal, contact_id: str) -> dict:
    """The contact if the caller may see it: a customer's contact as its customer; a lead's, a
    manager or an admin (notify keeps no lead owners)."""
    contact = get(rt, contact_id)
    if contact and contact.get("kind") == "customer_contact":
        if rt.db.customers.find_one({"_id": contact.get("customer_id"), **customer_scope(principal)}, {"_id": 1}):
            return contact
    elif contact and principal.role in ("manager", "admin"):
        return contact
    raise NotFound("no such contact")

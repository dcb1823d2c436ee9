"""What events tell notify of contacts: every crm.customer.* snapshot lists the customer's contacts,
crm.lead.received a lead's own email, mobile and the marketing consent ticked on its form.

A converted lead's consent goes with the person: the customer made from it (crm.customer.created with
`source_lead_id`) gets it on the contact made from the lead, the first, unless that contact has its own;
so do its sequence enrollments and its marketing sent (sequences/conversion.py).
"""
from __future__ import annotations

from pymongo import UpdateMany

from crm_common.events import parse_time

from ..sequences import conversion
from . import store

OPPORTUNITY_CHANGES = ("created", "updated", "stage_changed", "won", "lost")
SENT_LATER = ("language", "timezone", "primary")  # contact fields older customer events lack


def customer_changed(rt, session, data: dict) -> None:
    """Bring the customer's contacts to what the snapshot lists, in one read and at most one write: most
    events (a follow-up, a stage) change no contact, and then only the snapshot version moves on."""
    if "contacts" not in data:
        return
    customer_id, version = data["customer_id"], data.get("version")
    birthdays = {b.get("contact_id"): b for b in data.get("birthdays") or []}
    people = [c for c in data.get("contacts") or [] if c.get("contact_id")]
    listed = [c["contact_id"] for c in people]
    held = {c["_id"]: c for c in rt.db.contacts.find({"customer_id": customer_id, "kind": "customer_contact"},
                                                     session=session)}
    writes, unchanged, moved_zone = [], [], {}
    for c in people:
        kept, fields = held.get(c["contact_id"]), _fields(customer_id, c, birthdays.get(c["contact_id"]))
        write = store.changes(kept, c["contact_id"], fields, version)
        if write is not None:
            writes.append(write)
            if kept is not None and "timezone" in fields and kept.get("timezone") != fields["timezone"]:
                moved_zone[c["contact_id"]] = fields["timezone"]
        elif kept is not None and version is not None and (kept.get("snapshot_version") or 0) < version:
            unchanged.append(c["contact_id"])
    if unchanged:  # a late event older than this one must not bring back what it said
        writes.append(UpdateMany({"_id": {"$in": unchanged}}, {"$set": {"snapshot_version": version}}))
    gone = [i for i, c in held.items() if i not in listed and not c.get("removed")
            and (version is None or (c.get("snapshot_version") or 0) <= version)]
    if gone:
        writes.append(UpdateMany({"_id": {"$in": gone}}, {"$set": {"removed": True}}))
    if writes:
        rt.db.contacts.bulk_write(writes, ordered=False, session=session)
    for contact_id, zone in moved_zone.items():  # its sequence steps keep the person's new zone
        conversion.zone_moved(rt, session, contact_id, zone)
    if data.get("source_lead_id") and listed:
        _carry_lead_consent(rt, session, data["source_lead_id"], listed[0])
        conversion.lead_became(rt, session, data["source_lead_id"], listed[0])


def _fields(customer_id: str, c: dict, born: dict | None) -> dict:
    """What notify keeps of a listed contact; language, time zone and the primary mark only from events
    that carry them (older ones do not), so those keep what a newer one said."""
    return {"kind": "customer_contact", "customer_id": customer_id, "name": c.get("name") or "",
            **store.addresses(c), "removed": False, **{k: c[k] for k in SENT_LATER if k in c},
            **({"birthday": born["birthday"], "birthday_calendar": born.get("calendar")} if born else {})}


def customer_deleted(rt, session, data: dict) -> None:
    rt.db.contacts.update_many({"customer_id": data["customer_id"], "kind": "customer_contact"},
                               {"$set": {"removed": True}}, session=session)


def lead_received(rt, session, data: dict) -> None:
    fields = {"kind": "lead", "lead_id": data["lead_id"], "customer_id": None, "name": data.get("name") or "",
              **store.addresses(data), "removed": False}
    store.upsert(rt, session, data["lead_id"], fields)
    if data.get("marketing_consent") is not None:  # only a form that asked says yes or no
        at = parse_time(data.get("received_at")) if data.get("received_at") else rt.clock.now()
        entry = store.consent_entry(data["marketing_consent"], "lead_form", at)
        for channel in store.CHANNELS:
            store.set_consent(rt, session, data["lead_id"], channel, entry)


def lead_converted(rt, session, data: dict) -> None:
    """The lead is a customer now: its messages go to the customer's contact from here on."""
    rt.db.contacts.update_one({"_id": data["lead_id"]}, {"$set": {"converted": True}}, session=session)


def _carry_lead_consent(rt, session, lead_id: str, contact_id: str) -> None:
    lead, contact = store.get(rt, lead_id, session), store.get(rt, contact_id, session)
    if not lead or not contact:
        return
    carried = {f"consent.{ch}": e for ch, e in (lead.get("consent") or {}).items()
               if ch not in (contact.get("consent") or {})}
    carried.update({f"suppressed.{ch}": s for ch, s in (lead.get("suppressed") or {}).items() if s})
    if carried:
        rt.db.contacts.update_one({"_id": contact_id}, {"$set": carried}, session=session)


def opportunity_changed(rt, session, data: dict) -> None:
    """crm.opportunity.*: what a template may say of a deal (templates/variables.py)."""
    rt.db.opportunities.update_one({"_id": data["opportunity_id"]}, {"$set": {
        "customer_id": data["customer_id"], "name": data.get("name"), "stage": data.get("stage"),
        "status": data.get("status"), "amount": data.get("amount"),
        "expected_close_date": data.get("expected_close_date")}}, upsert=True, session=session)


def with_contacts(rt, handlers: dict) -> dict:
    """`handlers` with the contacts kept in the same transaction as each event's other effects."""
    def chained(own, keep):
        def handle(event, session):
            if own is not None:
                own(event, session)
            keep(rt, session, event["data"])
        return handle
    mine = {t: customer_changed for t in handlers if t.startswith("crm.customer.") and t != "crm.customer.deleted"}
    mine.update({"crm.customer.deleted": customer_deleted, "crm.lead.received": lead_received,
                 "crm.lead.converted": lead_converted})
    mine.update({f"crm.opportunity.{t}": opportunity_changed for t in OPPORTUNITY_CHANGES})
    return {**handlers, **{t: chained(handlers.get(t), keep) for t, keep in mine.items()}}

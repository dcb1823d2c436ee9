"""Taking a lead in: normalise, de-duplicate, store with its event (DOMAIN §1).

The race between two submissions of one person is decided by the unique
`identity_keys._id`: the second transaction fails on the key and takes the
duplicate path, so exactly one lead is created.
"""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_common.paging import new_id

from . import normalise


def contact_of(body: dict) -> dict:
    return {
        "phones": [normalise.phone(body["phone"])] if body.get("phone") else [],
        "emails": [normalise.email(body["email"])] if body.get("email") else [],
        "wechat_ids": [normalise.wechat_id(body["wechat_id"])] if body.get("wechat_id") else [],
    }


def submit(rt, channel: dict, body: dict) -> dict:
    """Store a submission as a new lead, or attach it to the record it duplicates."""
    contact = contact_of(body)
    keys = normalise.identity_keys(**contact)
    while True:
        existing = _find_owner(rt.db, keys)
        if existing:
            return rt.transaction(lambda s: _attach(rt, s, existing, channel, body))
        try:
            return rt.transaction(lambda s: _create(rt, s, keys, contact, channel, body))
        except DuplicateKeyError:
            continue  # lost the race to a concurrent submission: now it is a duplicate


def _find_owner(db, keys: list[str], session=None):
    matched = list(db.identity_keys.find({"_id": {"$in": keys}}, session=session))
    if not matched:
        return None
    first = matched[0]
    return {"kind": first["kind"], "id": first["record_id"],
            "matched_keys": [m["_id"] for m in matched if m["record_id"] == first["record_id"]]}


def _touchpoint(rt, channel: dict, body: dict) -> dict:
    return {"channel_id": channel["_id"], "channel": channel["name"], "at": rt.clock.now(), "payload": body}


def _create(rt, session, keys, contact, channel, body) -> dict:
    now = rt.clock.now()
    lead = {
        "_id": new_id(), "name": body["name"], "company": body.get("company"), "city": body.get("city"),
        "note": body.get("note"), **contact, "channel_id": channel["_id"], "status": "new",
        "owner_id": None, "touchpoints": [_touchpoint(rt, channel, body)], "touchpoint_count": 1,
        "created_at": now, "updated_at": now,
    }
    rt.db.leads.insert_one(lead, session=session)
    rt.db.identity_keys.insert_many(
        [{"_id": k, "kind": "lead", "record_id": lead["_id"]} for k in keys], session=session)
    rt.publish(session, rt.event("crm.lead.received", lead["_id"], {
        "lead_id": lead["_id"], "channel_id": channel["_id"], "channel": channel["name"],
        "name": lead["name"], "company": lead["company"], **contact, "received_at": now.isoformat(),
    }))
    return {"status": 201, "id": lead["_id"], "dedup": {"verdict": "new"}}


def _attach(rt, session, existing: dict, channel: dict, body: dict) -> dict:
    now = rt.clock.now()
    if existing["kind"] == "lead":
        rt.db.leads.update_one(
            {"_id": existing["id"]},
            {"$push": {"touchpoints": _touchpoint(rt, channel, body)}, "$inc": {"touchpoint_count": 1},
             "$set": {"updated_at": now}}, session=session)
    else:
        rt.db.customer_touchpoints.insert_one(
            {"_id": new_id(), "customer_id": existing["id"], **_touchpoint(rt, channel, body)}, session=session)
    rt.publish(session, rt.event("crm.lead.duplicate_detected", existing["id"], {
        "duplicate_of": existing["id"], "duplicate_of_kind": existing["kind"], "channel_id": channel["_id"],
        "channel": channel["name"], "matched_keys": existing["matched_keys"], "received_at": now.isoformat(),
    }))
    return {"status": 200, "id": existing["id"], "dedup": {
        "verdict": "duplicate", "duplicate_of": existing["id"], "duplicate_of_kind": existing["kind"],
        "matched_keys": existing["matched_keys"]}}


def remember_customer(rt, session, customer: dict) -> None:
    """Keep the identity keys of a customer's contacts, so leads de-duplicate against customers.

    A key already held (say by the lead the customer came from) stays with its holder.
    """
    for contact in customer.get("contacts", []):
        keys = normalise.identity_keys(contact.get("phones", []), contact.get("emails", []),
                                       contact.get("wechat_ids", []))
        for key in keys:
            rt.db.identity_keys.update_one(
                {"_id": key}, {"$setOnInsert": {"kind": "customer", "record_id": customer["customer_id"]}},
                upsert=True, session=session)

"""The customers lead intake knows, from the customer service's events (crm.customer.*).

Their owners, company records and contacts' identity keys, so leads de-duplicate against every
customer contact, whoever owns it, and a resubmission names the customer's current owner.
"""
from __future__ import annotations

from crm_common.kernel import company_names, identity

from . import companies


def customer_changed(rt, session, customer: dict) -> None:
    """Keep a customer's owner, company and contact keys (every customer event carries them all).

    The consumer loop's version guard passes snapshots only when newer, and nothing after the
    customer's deletion; a fact it applies late (after a redrive) carries the snapshot of its time,
    so a snapshot older than the one kept here changes nothing.
    A key already held by another record stays with its holder; one only offered to a record (a
    resubmission's new contact method) is confirmed as the customer's: the customer service's edit
    owns the customer's contacts. Keys of contacts the customer no longer has are let go, so the
    contact can become a lead again.
    """
    customer_id = customer["customer_id"]
    version = customer.get("version")
    if version is not None:
        kept = rt.db.customers.find_one({"_id": customer_id}, {"version": 1}, session=session) or {}
        if kept.get("version") is not None and kept["version"] > version:
            return
    fields = {k: customer[k] for k in ("owner_id", "department_path", "name", "version") if k in customer}
    rt.db.customers.update_one({"_id": customer_id}, {"$set": fields}, upsert=True, session=session)
    if customer.get("name"):
        companies.store(rt.db, session, "customer", customer_id, company_names.parse(customer["name"]),
                        customer.get("city"))
    if customer.get("source_lead_id"):
        # the converted lead's contacts are the customer's now: a resubmission goes to the customer's owner
        rt.db.identity_keys.update_many({"kind": "lead", "record_id": customer["source_lead_id"]},
                                        {"$set": {"kind": "customer", "record_id": customer_id}}, session=session)
    keys = sorted({key for contact in customer.get("contacts", []) for key in identity.identity_keys(
        contact.get("phones", []), contact.get("emails", []), contact.get("wechat_ids", []),
        customer.get("name", ""), contact.get("name", ""))})
    # Only keys a snapshot gave are let go when a later snapshot lacks them: keys a merge added to the
    # customer are not in its contacts, and must keep matching.
    rt.db.identity_keys.delete_many({"kind": "customer", "record_id": customer_id, "from_snapshot": True,
                                     "_id": {"$nin": keys}}, session=session)
    _confirm_offered(rt, session, customer_id, keys)
    for key in keys:
        rt.db.identity_keys.update_one({"_id": key}, {"$setOnInsert": {"kind": "customer", "record_id": customer_id}},
                                       upsert=True, session=session)
    rt.db.identity_keys.update_many({"_id": {"$in": keys}, "kind": "customer", "record_id": customer_id},
                                    {"$set": {"from_snapshot": True}}, session=session)


def customer_deleted(rt, session, customer: dict) -> None:
    """A deleted customer no longer makes new leads duplicates."""
    customer_id = customer["customer_id"]
    rt.db.identity_keys.delete_many({"kind": "customer", "record_id": customer_id}, session=session)
    companies.remove(rt.db, session, "customer", customer_id)
    rt.db.customers.delete_one({"_id": customer_id}, session=session)


def _confirm_offered(rt, session, customer_id: str, keys: list[str]) -> None:
    """The snapshot's contact methods that were only offered (to this customer or another record) become
    this customer's own; whoever was offered them no longer counts them among its pending offers."""
    offered = list(rt.db.identity_keys.find({"_id": {"$in": keys}, "offered": True}, session=session))
    for doc in offered:
        collection = rt.db.leads if doc["kind"] == "lead" else rt.db.customers
        collection.update_one({"_id": doc["record_id"]}, {"$pull": {"offered_keys": doc["_id"]}}, session=session)
    if offered:
        rt.db.identity_keys.update_many({"_id": {"$in": [d["_id"] for d in offered]}, "offered": True}, {
            "$set": {"kind": "customer", "record_id": customer_id}, "$unset": {"offered": ""}}, session=session)

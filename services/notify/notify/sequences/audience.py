"""Who a filter enrolls: leads by the channel they came from and their score bucket (kept here from
crm.lead.received), customers' contacts by their customer's lifecycle class or level (notify's copy of
the customer)."""
from __future__ import annotations

from . import enrollments


def lead_received(rt, session, data: dict) -> None:
    """crm.lead.received: what a lead filter reads of the lead."""
    rt.db.sequence_leads.update_one({"_id": data["lead_id"]}, {"$set": {
        "channel_id": data.get("channel_id"), "bucket": data.get("bucket")}}, upsert=True, session=session)


def contact_ids(rt, wanted: dict) -> list[str]:
    """The contacts a filter names, at most enrollments.MAX_FILTERED, oldest id first."""
    if wanted["kind"] == "lead":
        query = {k: wanted[k] for k in ("channel_id", "bucket") if k in wanted}
        ids = [d["_id"] for d in rt.db.sequence_leads.find(query, {"_id": 1})]
        contacts = {"kind": "lead", "_id": {"$in": ids}}
    else:
        query = {"deleted": {"$ne": True}, **{k: wanted[k] for k in ("lifecycle", "level") if k in wanted}}
        ids = [d["_id"] for d in rt.db.customers.find(query, {"_id": 1})]
        contacts = {"kind": "customer_contact", "customer_id": {"$in": ids}}
    return [d["_id"] for d in rt.db.contacts.find(contacts, {"_id": 1}).sort("_id", 1)
            .limit(enrollments.MAX_FILTERED)]


def scope_of(rt, principal):
    """Whether a contact is the caller's to enroll: an admin any; a manager a lead, or a contact of a
    customer in their department (or below)."""
    if principal.is_admin:
        return lambda contact: True
    path = list(principal.department_path)

    def visible(contact: dict) -> bool:
        if contact.get("kind") == "lead":
            return True
        customer = rt.db.customers.find_one({"_id": contact.get("customer_id")}, {"department_path": 1}) or {}
        return (customer.get("department_path") or [])[:len(path)] == path
    return visible

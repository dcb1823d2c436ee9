"""What lead-intake keeps of other services' data, from their events.

- reps and teams (crm.org) for assignment;
- customers' owners and contact identity keys (crm.customers), so leads
  de-duplicate against customers and a resubmission names the current owner.
"""
from __future__ import annotations

from crm_common.kernel import company_names, holding, identity

from . import companies



def user_changed(rt, session, user: dict) -> None:
    rt.db.reps.update_one({"_id": user["user_id"]}, {"$set": {
        "username": user.get("username"), "role": user["role"], "active": user.get("active", True),
        "department_path": user.get("department_path", []), "team_ids": user.get("team_ids", []),
        "holding_limit": user.get("holding_limit", holding.DEFAULT_HOLDING_LIMIT)}}, upsert=True, session=session)


def team_changed(rt, session, team: dict) -> None:
    rt.db.teams.update_one({"_id": team["team_id"]}, {"$set": {
        "name": team.get("name"), "members": team.get("members", []), "active": team.get("active", True)}},
        upsert=True, session=session)


def customer_changed(rt, session, customer: dict) -> None:
    """Keep a customer's owner, company and contact keys (every customer event carries them all).

    The consumer loop's version guard passes only events newer than the last one applied,
    and none after the customer's deletion, so this may apply the snapshot as it is.
    A key already held by another record stays with its holder; keys of contacts
    the customer no longer has are let go, so the contact can become a lead again.
    """
    customer_id = customer["customer_id"]
    fields = {k: customer[k] for k in ("owner_id", "department_path", "name") if k in customer}
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
    # Only keys a snapshot gave are let go when a later snapshot lacks them: keys a merge or a
    # resubmission added to the customer are not in its contacts, and must keep matching.
    rt.db.identity_keys.delete_many({"kind": "customer", "record_id": customer_id, "from_snapshot": True,
                                     "_id": {"$nin": keys}}, session=session)
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


def owner_of(db, kind: str, record_id: str, session=None) -> str | None:
    collection = db.leads if kind == "lead" else db.customers
    record = collection.find_one({"_id": record_id}, {"owner_id": 1}, session=session) or {}
    return record.get("owner_id")


def holding(db, user_ids: list[str], session=None) -> dict:
    """How many open leads and customers each rep holds now."""
    counts = dict.fromkeys(user_ids, 0)
    for collection, query in ((db.leads, {"status": {"$in": ["assigned", "contacted"]}}), (db.customers, {})):
        for row in collection.aggregate([{"$match": {**query, "owner_id": {"$in": user_ids}}},
                                         {"$group": {"_id": "$owner_id", "n": {"$sum": 1}}}], session=session):
            counts[row["_id"]] += row["n"]
    return counts

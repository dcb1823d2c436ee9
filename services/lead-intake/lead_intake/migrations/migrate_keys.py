"""Recompute the de-duplication keys of an existing database after the normaliser changed.

    python -m lead_intake.migrations.migrate_keys        (MONGO_URI / CRM_MONGO_PORT as the other admin commands)

For every stored lead and every customer copy: the lead's `company_key`, the company record
with its blocking keys (dedup/companies.py), and the `company_contact:` identity key (company key
with contact name). It writes only what differs, so running it again changes nothing; a new
key already held by another record stays with its holder (the older record wins, as at intake).
"""
from __future__ import annotations


from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from crm_common import migration
from crm_common.kernel.company_names import parse
from crm_common.kernel.identity import person_name

from ..dedup import companies

BATCH = 1000
_COMPARED = ("company_key", "brand", "sound", "city", "blocks")


def migrate(db) -> dict:
    counts = {"leads": 0, "companies": 0, "company_contact_keys": 0}
    leads = db.leads.find({}, {"company": 1, "company_key": 1, "city": 1, "status": 1})
    for batch in migration.batches(leads, BATCH):
        counts["leads"] += _write(db.leads, [UpdateOne({"_id": lead["_id"]}, {"$set": {"company_key": key}})
                                             for lead in batch
                                             if (key := parse(lead.get("company")).key) != lead.get("company_key")])
        counts["companies"] += _companies(db, "lead", {lead["_id"]: (lead.get("company"), lead.get("city"))
                                                       for lead in batch if lead.get("status") != "merged"})
    for batch in migration.batches(db.customers.find({}, {"name": 1}), BATCH):
        cities = {c["record_id"]: c.get("city") for c in db.companies.find(
            {"_id": {"$in": [f"customer:{c['_id']}" for c in batch]}}, {"record_id": 1, "city": 1})}
        counts["companies"] += _companies(db, "customer", {c["_id"]: (c.get("name"), cities.get(c["_id"]))
                                                           for c in batch if c.get("name")})
    for batch in migration.batches(db.identity_keys.find({"_id": {"$regex": "^company_contact:"}}), BATCH):
        counts["company_contact_keys"] += _contact_keys(db, batch)
    return counts


def _companies(db, kind: str, named: dict) -> int:
    """Company records whose key, brand, city or blocking keys differ from what the normaliser gives now."""
    stored = {c["_id"]: c for c in db.companies.find({"_id": {"$in": [f"{kind}:{i}" for i in named]}})}
    writes = []
    for record_id, (company, city) in named.items():
        name = parse(company)
        if not name.key:
            continue
        doc = companies.document(kind, record_id, name, city)
        if any(stored.get(doc["_id"], {}).get(f) != doc[f] for f in _COMPARED):
            writes.append(ReplaceOne({"_id": doc["_id"]}, doc, upsert=True))
    return _write(db.companies, writes)


def _contact_keys(db, batch: list) -> int:
    by_kind = {"lead": {}, "customer": {}}
    for key in batch:
        by_kind[key["kind"]].setdefault(key["record_id"], []).append(key)
    names = {(l["_id"]): l.get("company") for l in db.leads.find({"_id": {"$in": list(by_kind["lead"])}},
                                                                 {"company": 1})}
    names.update({c["_id"]: c.get("name") for c in db.customers.find(
        {"_id": {"$in": list(by_kind["customer"])}}, {"name": 1})})
    writes = []
    for key in batch:
        contact = key["_id"].rsplit("/", 1)[1]
        company = parse(names.get(key["record_id"])).key
        new_id = f"company_contact:{company}/{person_name(contact)}"
        if company and new_id != key["_id"]:
            writes += [InsertOne({**key, "_id": new_id}), DeleteOne({"_id": key["_id"]})]
    return _write(db.identity_keys, writes) // 2 if writes else 0


def _write(collection, writes: list) -> int:
    if not writes:
        return 0
    try:
        result = collection.bulk_write(writes, ordered=False)
    except BulkWriteError as exc:  # a new key another record holds already: that record keeps it
        result = exc.details
        return result.get("nInserted", 0) + result.get("nModified", 0) + result.get("nUpserted", 0) + \
            result.get("nRemoved", 0)
    return result.inserted_count + result.modified_count + result.upserted_count + result.deleted_count


def main() -> None:
    migration.run("lead-intake", migrate)


if __name__ == "__main__":
    main()

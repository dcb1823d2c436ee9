"""Make the amounts of an existing database exact: floats become Decimal128.

    python -m customer.migrations.migrate_money        (MONGO_URI / CRM_MONGO_PORT as the other admin commands)

Stored amounts (customers' totals and expected amount, deleted customers' copies, contracts'
amount and paid, payments' amount) that are numbers but not yet Decimal128 become
Decimal128 rounded to the fen. The old code rounded every sum to two places, so this drops only
binary noise (100000.10000000001 -> 100000.10); a customer's outstanding is set to its order
total less its paid total, so the three agree exactly.

The event log (outbox rows, sent or pending) is the history a replay publishes again, checked
against today's contracts: amounts that are JSON numbers there become decimal strings ("1234.50").

Contracts stored before approval existed are then marked approved (approve_contracts.py).

Only what is not yet exact is written, and each write names the value it replaces (a change
made meanwhile by the service is already exact and is left alone), so a second run, or a run
beside the running service, changes nothing more.
"""
from __future__ import annotations

from bson.decimal128 import Decimal128
from pymongo import UpdateOne

from crm_common import migration
from crm_common.kernel import money

from . import approve_contracts

BATCH = 1000
NOT_EXACT = ["double", "int", "long"]  # what an amount was written as before Decimal128
CUSTOMER_AMOUNTS = ("opportunity_total", "order_total", "paid_total", "outstanding", "qualification.expected_amount")
STORED = {
    "customers": CUSTOMER_AMOUNTS,
    "deleted_customers": CUSTOMER_AMOUNTS,
    "contracts": ("amount", "paid"),
    "payments": ("amount",),
}
EVENT_AMOUNTS = {
    "crm.customer.contract_signed": ("amount", "order_total"),
    "crm.customer.payment_received": ("amount", "paid_total", "outstanding"),
    "crm.customer.qualified": ("expected_amount",),
    "crm.customer.won": ("order_total",),
}


def migrate(db) -> dict:
    """Rewrite what is not exact; returns how many documents of each collection were changed."""
    counts = {name: _rewrite(db[name], fields, _stored_changes) for name, fields in STORED.items()}
    counts["outbox"] = 0
    for event_type, fields in EVENT_AMOUNTS.items():
        paths = tuple(f"event.data.{f}" for f in fields)
        counts["outbox"] += _rewrite(db.outbox, paths, _event_changes, {"type": event_type})
    return {**counts, **approve_contracts.migrate(db)}


def _rewrite(collection, paths: tuple, changes, scope: dict | None = None) -> int:
    """Page through the documents with an inexact amount at `paths` (by _id) and $set what `changes` says."""
    query = {**(scope or {}), "$or": [{p: {"$type": NOT_EXACT}} for p in paths]}
    projection = {p: 1 for p in paths}
    changed, after = 0, None
    while True:
        page = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = list(collection.find(page, projection).sort("_id", 1).limit(BATCH))
        if not docs:
            return changed
        writes = []
        for doc in docs:
            old = {p: _at(doc, p) for p in paths}
            new = changes(old)
            if new:
                # Only if nothing changed meanwhile: the service itself writes exact amounts.
                writes.append(UpdateOne({"_id": doc["_id"], **{p: old[p] for p in new}}, {"$set": new}))
        if writes:
            changed += collection.bulk_write(writes, ordered=False).modified_count
        after = docs[-1]["_id"]


def _stored_changes(old: dict) -> dict:
    new = {p: money.stored(v) for p, v in old.items() if v is not None and not isinstance(v, Decimal128)}
    if new and "order_total" in old:
        outstanding = money.total(old["order_total"]) - money.total(old["paid_total"])
        if money.stored(outstanding) != old["outstanding"]:
            new["outstanding"] = money.stored(outstanding)
    return new


def _event_changes(old: dict) -> dict:
    return {p: money.text(v) for p, v in old.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _at(doc: dict, path: str):
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def main() -> None:
    migration.run("customer", migrate)


if __name__ == "__main__":
    main()

"""Contracts stored before approval existed count as approved: each gets the status its dates give it
(approved, active or expired), no approval steps, and nothing invoiced yet; customers start with nothing
invoiced. Part of `python -m customer.migrations.migrate_money`.

Only documents without the new fields are written, each write naming that they are still missing, so a
second run, or one beside the running service (which writes them itself), changes nothing more."""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import UpdateOne

from crm_common.kernel import money

from ..contracts import approval

BATCH = 1000


def migrate(db, today: str | None = None) -> dict:
    today = today or datetime.now(timezone.utc).date().isoformat()
    contracts = _page(db.contracts, {"status": {"$exists": False}}, lambda c: {
        "status": approval.status_on({**c, "status": "approved"}, today), "steps": [], "decisions": [],
        "awaiting": None, "approved_at": c.get("signed_at"), "invoiced": money.stored(0)})
    customers = _page(db.customers, {"invoiced_total": {"$exists": False}}, lambda c: {
        "invoiced_total": money.stored(0), "uninvoiced_total": money.stored(money.total(c.get("order_total")))})
    return {"contracts_approved": contracts, "customers_invoicing": customers}


def _page(collection, missing: dict, fields) -> int:
    changed, after = 0, None
    while True:
        page = {**missing, "_id": {"$gt": after}} if after is not None else missing
        docs = list(collection.find(page).sort("_id", 1).limit(BATCH))
        if not docs:
            return changed
        writes = [UpdateOne({"_id": d["_id"], **missing}, {"$set": fields(d)}) for d in docs]
        changed += collection.bulk_write(writes, ordered=False).modified_count
        after = docs[-1]["_id"]

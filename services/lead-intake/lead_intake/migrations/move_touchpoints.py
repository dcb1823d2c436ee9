"""Move the touchpoints stored inside lead documents (and the old `customer_touchpoints`) into `touchpoints`.

    python -m lead_intake.migrations.move_touchpoints     (MONGO_URI / CRM_MONGO_PORT as the other admin commands)

Releases before this one pushed every resubmission's payload into its lead's document, which a
person submitted about 1,100 times pushed past MongoDB's 16 MB limit. Each touchpoint becomes a
document of its own, with an id made from the lead, its place in the lead's list and its time (so
they list oldest first, as they were kept); the lead keeps its `touchpoint_count`. Running it again
inserts nothing twice: an id already there is skipped, and a lead or row is cleared only once its
touchpoints are all in `touchpoints`.
"""
from __future__ import annotations

import hashlib
from datetime import timezone

from bson import ObjectId
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError

from crm_common import migration

BATCH = 200  # leads a batch: one may hold about 1,000 payloads of up to 15 KB


def migrate(db) -> dict:
    counts = {"leads": 0, "touchpoints": 0, "customer_touchpoints": 0}
    moving = db.leads.find({"touchpoints": {"$exists": True}}, {"touchpoints": 1, "touchpoint_count": 1})
    for batch in migration.batches(moving, BATCH):
        docs = [{"_id": touchpoint_id(lead["_id"], i, t.get("at")), "lead_ids": [lead["_id"]], **t}
                for lead in batch for i, t in enumerate(lead.get("touchpoints") or [])]
        counts["touchpoints"] += _insert(db.touchpoints, docs)
        result = db.leads.bulk_write([UpdateOne({"_id": lead["_id"]}, {
            "$unset": {"touchpoints": ""},
            "$set": {"touchpoint_count": max(lead.get("touchpoint_count") or 0, len(lead.get("touchpoints") or []))}})
            for lead in batch], ordered=False)
        counts["leads"] += result.modified_count
    for batch in migration.batches(db.customer_touchpoints.find(), BATCH):
        counts["customer_touchpoints"] += _insert(db.touchpoints, [{"lead_ids": [], **t} for t in batch])
        db.customer_touchpoints.delete_many({"_id": {"$in": [t["_id"] for t in batch]}})
    return counts


def touchpoint_id(lead_id: str, index: int, at) -> str:
    """The same id on every run: the touchpoint's time (ObjectId order is time order), the lead, its place."""
    seconds = int(at.replace(tzinfo=at.tzinfo or timezone.utc).timestamp()) if at else 0
    lead = hashlib.sha1(str(lead_id).encode()).digest()[:5]
    return str(ObjectId(seconds.to_bytes(4, "big") + lead + index.to_bytes(3, "big")))


def _insert(collection, docs: list) -> int:
    if not docs:
        return 0
    try:
        return collection.bulk_write([InsertOne(d) for d in docs], ordered=False).inserted_count
    except BulkWriteError as exc:  # already moved by an earlier run: skipped
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
            raise
        return exc.details.get("nInserted", 0)


def main() -> None:
    migration.run("lead-intake", migrate, verb="moved")


if __name__ == "__main__":
    main()

"""The funnel read model: customers per stage, built from customer events."""
from __future__ import annotations

# The default pipeline's stages in order (DOMAIN §2); the funnel reports every one, zeros included.
STAGES = ("lead_acquired", "initial_contact", "needs_confirmed", "proposal", "negotiation",
          "contract_signed", "lost")


def customer_created(rt, session, customer: dict) -> None:
    rt.db.customer_stages.update_one({"_id": customer["customer_id"]}, {"$setOnInsert": {
        "stage": customer["stage"], "owner_id": customer["owner_id"], "collaborator_ids": [],
        "department_path": customer["department_path"], "since": customer["created_at"],
    }}, upsert=True, session=session)


def funnel(db, scope: dict) -> list[dict]:
    counts = {row["_id"]: row["count"] for row in db.customer_stages.aggregate(
        [{"$match": scope}, {"$group": {"_id": "$stage", "count": {"$sum": 1}}}])}
    stages = list(STAGES) + sorted(set(counts) - set(STAGES))  # custom stages after the defaults
    return [{"stage": stage, "count": counts.get(stage, 0)} for stage in stages]

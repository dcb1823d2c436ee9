"""Tracking owned customers and taking the neglected back into the pool (DOMAIN §3).

The thin slice applies the default rule only: no follow-up for 7 days.
Pools, their rules and claiming deepen later.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from crm_common.events import parse_time

NO_FOLLOWUP_DAYS = 7
OWNED, IN_POOL, DELETED = "owned", "in_pool", "deleted"


def reclaim_due_at(last_activity: datetime) -> datetime:
    return last_activity + timedelta(days=NO_FOLLOWUP_DAYS)


def track(rt, session, customer: dict) -> None:
    """Handle crm.customer.created: start the customer's reclaim clock."""
    created = parse_time(customer["created_at"])
    rt.db.pool_entries.update_one({"_id": customer["customer_id"]}, {"$setOnInsert": {
        "customer_id": customer["customer_id"], "owner_id": customer["owner_id"],
        "department_path": customer["department_path"], "collaborator_ids": [],
        "level": customer["level"], "status": OWNED, "last_activity_at": created,
        "reclaim_due_at": reclaim_due_at(created), "tracked_at": rt.clock.now(),
    }}, upsert=True, session=session)


def followed_up(rt, session, data: dict) -> None:
    """Handle crm.customer.followed_up: the owner is working the customer, so its clock starts again."""
    at = parse_time(data["followed_up_at"])
    rt.db.pool_entries.update_one({"_id": data["customer_id"], "status": OWNED}, {
        "$max": {"last_activity_at": at, "reclaim_due_at": reclaim_due_at(at)}}, session=session)


def owner_changed(rt, session, data: dict) -> None:
    """Handle crm.customer.owner_changed: a reassigned or transferred customer gets its new owner a full period.

    Moves the pool made itself (kind pool_*) are already recorded here.
    """
    if data["kind"].startswith("pool_") or not data.get("to_owner_id"):
        return
    at = parse_time(data["changed_at"])
    rt.db.pool_entries.update_one({"_id": data["customer_id"], "status": OWNED}, {"$set": {
        "owner_id": data["to_owner_id"], "department_path": data["department_path"],
        "collaborator_ids": data.get("collaborator_ids", []), "last_activity_at": at,
        "reclaim_due_at": reclaim_due_at(at)}}, session=session)


def deleted(rt, session, data: dict) -> None:
    """Handle crm.customer.deleted: a deleted customer is never reclaimed (the entry stays for the record)."""
    rt.db.pool_entries.update_one({"_id": data["customer_id"]}, {"$set": {
        "status": DELETED, "deleted_at": parse_time(data["deleted_at"])}}, session=session)


def reclaim_due(rt) -> dict:
    """Scheduled job: move every owned customer past its due time into the pool."""
    now = rt.clock.now()
    moved = 0
    for entry in list(rt.db.pool_entries.find({"status": OWNED, "reclaim_due_at": {"$lte": now}})):
        moved += rt.transaction(lambda s, e=entry: _reclaim(rt, s, e, now))
    return {"reclaimed": moved}


def _reclaim(rt, session, entry: dict, now) -> int:
    done = rt.db.pool_entries.update_one(
        {"_id": entry["_id"], "status": OWNED, "reclaim_due_at": {"$lte": now}},
        {"$set": {"status": IN_POOL, "previous_owner_id": entry["owner_id"], "owner_id": None,
                  "reclaimed_at": now}}, session=session)
    if done.modified_count == 0:
        return 0  # someone else moved it meanwhile
    rt.db.movements.insert_one({"customer_id": entry["_id"], "kind": "reclaim", "actor": "system",
                                "reason": f"no follow-up for {NO_FOLLOWUP_DAYS} days",
                                "from_owner_id": entry["owner_id"], "at": now}, session=session)
    rt.publish(session, rt.event("crm.pool.customer_reclaimed", entry["_id"], {
        "customer_id": entry["_id"], "previous_owner_id": entry["owner_id"],
        "reason": "no_followup", "reclaimed_at": now.isoformat()}))
    return 1

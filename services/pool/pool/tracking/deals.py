"""What the pool keeps of each customer's deals (商机), from crm.opportunity.* events.

The entry keeps each deal's status, stage and the time of the event that told it
(`deals`), so a late event never writes an older state over a newer one; from
them it derives the stages of the open deals (`open_stages`, for a pool's
`exempt_stages`) and when a deal was last won (`last_won_at`, which restarts the
no-deal clock). Only the customer's own events make an entry: they come first on
the customer's partition, so a deal of a customer the pool has not heard of is not kept.
"""
from __future__ import annotations

from crm_common.events import parse_time

from . import entries
from .entries import DELETED

TIME_FIELDS = {"created": "created_at", "updated": "updated_at", "stage_changed": "changed_at",
               "won": "won_at", "lost": "lost_at", "deleted": "deleted_at"}


def changed(rt, session, data: dict, name: str) -> None:
    """crm.opportunity.<name>: record the deal's state as of the event, and re-plan the entry."""
    entry = rt.db.pool_entries.find_one({"_id": data["customer_id"]}, session=session)
    if entry is None or entry.get("status") == DELETED:
        return
    at = parse_time(data[TIME_FIELDS[name]])
    deals = dict(entry.get("deals") or {})
    held = deals.get(data["opportunity_id"])
    if held is not None and held["at"] > at:
        return  # a late event: the entry already shows what came after it
    status = "deleted" if name == "deleted" else data["status"]
    deals[data["opportunity_id"]] = {"status": status, "stage": data["stage"], "at": at}
    changes = {"deals": deals, "open_stages": sorted({d["stage"] for d in deals.values() if d["status"] == "open"})}
    if name == "won":
        last = entry.get("last_won_at")
        changes["last_won_at"] = max(at, last) if last else at
    entries.save(rt, session, entry["_id"], changes)

"""The conditional ownership request (ARCHITECTURE, "Who decides what"): the pool decides a move
from its copy of a customer, and asks the customer service, which alone writes owners, to apply it
only if what the pool saw still holds. Both sides speak it through this module: the pool builds the
request and its expectation, the customer service judges the expectation against the customer.
"""
from __future__ import annotations

from datetime import datetime, timezone

# A field the pool expected and the customer no longer has -> the refusal's reason.
REFUSALS = {"owner_id": "owner_changed", "last_followup_at": "followed_up", "level": "level_changed",
            "lifecycle": "lifecycle_changed"}


def stored_time(at: datetime | None) -> str | None:
    """A time at MongoDB's precision (milliseconds, UTC), so the pool's copy and the customer's compare equal."""
    if at is None:
        return None
    at = at.replace(tzinfo=at.tzinfo or timezone.utc).astimezone(timezone.utc)
    return at.replace(microsecond=at.microsecond // 1000 * 1000).isoformat()


def expectation(entry: dict) -> dict:
    """What the customer service must still see for a reclaim to apply: the owner, the last
    follow-up, the level and the lifecycle the pool judged it by."""
    last = entry.get("last_followup_at")
    return {"owner_id": entry["owner_id"], "last_followup_at": last.isoformat() if last else None,
            "level": entry.get("level"), "lifecycle": entry.get("lifecycle")}


def request(*, request_id: str, customer_id: str, kind: str, expected: dict, to_owner_id: str | None,
            pool_id: str | None, reason: str | None, rule: str | None, by: str, at: datetime) -> dict:
    """The data of crm.pool.ownership_requested: apply this move only if `expected` still holds."""
    return {"request_id": request_id, "customer_id": customer_id, "kind": kind, "expected": expected,
            "to_owner_id": to_owner_id, "pool_id": pool_id, "reason": reason, "rule": rule, "by": by,
            "requested_at": at.isoformat()}


def unmet(customer: dict, expected: dict) -> str | None:
    """Why the expectation no longer holds, as crm.customer.ownership_refused's `reason`, or None if it does."""
    for field, value in expected.items():
        current = customer.get(field)
        if field == "last_followup_at":
            current, value = stored_time(current), stored_time(_parse(value)) if value else None
        if current != value:
            return REFUSALS.get(field, f"{field}_changed")
    return None


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))

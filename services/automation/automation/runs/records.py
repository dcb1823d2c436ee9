"""What the rules look at besides the event: each customer, opportunity and lead as it is now, kept from
their events (the consumer loop's version guard passes only a newer snapshot), and the events this
service consumed, kept KEPT_DAYS for dry runs and backtests."""
from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ASCENDING, IndexModel

from crm_common import batching, events
from crm_common.clock import utcnow

from ..engine.timing import FIRST_SEEN
from ..engine.triggers import record_of

RECORDS, EVENTS = "records", "kept_events"
KEPT_DAYS = 30
# What an event says about itself rather than about its record: not kept as the record's fields.
EVENT_ONLY = frozenset({"changed_fields", "from", "to", "by", "content", "expected_days", "expected_rate"})

INDEXES = {
    RECORDS: [IndexModel([("kind", ASCENDING), ("_id", ASCENDING)])],
    EVENTS: [IndexModel([("kept_at", ASCENDING)], expireAfterSeconds=KEPT_DAYS * 86400),
             IndexModel([("record", ASCENDING), ("time", ASCENDING)]), IndexModel([("time", ASCENDING)])],
}


def key(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


def apply(rt, session, event: dict) -> tuple[dict | None, dict]:
    """Bring the event's record up to date; the record before and after it ({} when it names none)."""
    kind, record_id = record_of(event)
    if kind == "none":
        return None, {}
    stored = batching.get(rt.db, session, RECORDS, key(kind, record_id))
    before = stored["data"] if stored and not stored.get("deleted") else None
    if event["type"].split(".")[1] != kind:  # a pool movement: the customer's own events say how it is
        return before, dict(before or {})
    after = folded(event, before)
    batching.replace(rt.db, session, RECORDS, {
        "_id": key(kind, record_id), "kind": kind, "record_id": record_id, "data": after,
        "deleted": event["type"].endswith(".deleted"), "updated_at": rt.clock.now()})
    return before, after


def folded(event: dict, before: dict | None) -> dict:
    """The record after its own event: the snapshot the event carries over what was known."""
    after = {**(before or {}), **{k: v for k, v in (event.get("data") or {}).items() if k not in EVENT_ONLY}}
    after.update(_times(event, before, after))
    return after


def _times(event: dict, before: dict | None, after: dict) -> dict:
    """The times inactivity triggers go by, which the records' own events do not all carry: when the
    record was first heard of, its last follow-up, and when its stage last changed."""
    data, at = event.get("data") or {}, event.get("time")
    times = {} if before and before.get(FIRST_SEEN) else {FIRST_SEEN: data.get("created_at") or at}
    if event["type"].endswith(".followed_up"):
        times["last_followup_at"] = data.get("followed_up_at") or at
    if "stage" in after and (before or {}).get("stage") != after.get("stage"):
        times["stage_changed_at"] = data.get("changed_at") or at
    return times


def current(db, kind: str, record_id: str, session=None) -> dict | None:
    stored = db[RECORDS].find_one({"_id": key(kind, record_id)}, session=session)
    return stored["data"] if stored and not stored.get("deleted") else None


def of_kind(db, kind: str, *, after: str | None = None, limit: int = 200) -> list[dict]:
    query = {"kind": kind, "deleted": False, **({"_id": {"$gt": after}} if after else {})}
    return list(db[RECORDS].find(query).sort("_id", 1).limit(limit))


def keep(rt, session, event: dict) -> bool:
    """Keep the event; whether this service may have seen it before (a rerun through another consumer
    group, a replica racing, or an event older than its keeping): only then can a rule have run on it."""
    # Kept on wall time: moving the business clock for a demo must not keep events for ever.
    kind, record_id = record_of(event)
    now = utcnow()
    kept = rt.db[EVENTS].update_one({"_id": event["id"]}, {"$setOnInsert": {
        "event": event, "type": event["type"], "record": key(kind, record_id) if record_id else None,
        "time": event.get("time"), "kept_at": now}}, upsert=True, session=session)
    return kept.upserted_id is None or not _recent(event.get("time"), now)


def _recent(time: str | None, now: datetime) -> bool:
    """An event from within its keeping (by wall time, a day's margin): had it come before, it would
    still be kept. One without a time, or from a business clock moved ahead, is not taken as recent."""
    try:
        at = events.parse_time(time)
    except (AttributeError, ValueError):
        return False
    if at.tzinfo is None:
        return False
    return now - timedelta(days=KEPT_DAYS - 1) <= at <= now + timedelta(minutes=5)


def kept_since(db, since: str):
    """The kept events from `since` (an ISO time), oldest first."""
    for row in db[EVENTS].find({"time": {"$gte": since}}).sort([("time", 1), ("_id", 1)]):
        yield row["event"]


def kept(db, event_id: str) -> dict | None:
    row = db[EVENTS].find_one({"_id": event_id})
    return row["event"] if row else None


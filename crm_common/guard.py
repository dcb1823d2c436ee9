"""The version guard every read model relies on: an event is applied only if it is
newer than what its consumer group already applied for the same aggregate.

A redelivered, duplicated or late event therefore changes nothing, and a delete
leaves a tombstone (the record here, with its version and `deleted`), so a late
event of a deleted aggregate does not bring it back. Services never repeat this:
the consumer loop asks `claim` before calling a handler, in the handler's
transaction.
"""
from __future__ import annotations

from .events import stream_of


def is_delete(event_type: str) -> bool:
    return event_type.endswith(".deleted")


def already_applied(db, group: str, event: dict) -> bool:
    """A cheap look outside any transaction, so a replayed log is skipped fast; `claim` decides."""
    version = event.get("version")
    if version is None:
        return False
    held = db.applied_versions.find_one({"_id": f"{group}|{stream_of(event)}"}, {"version": 1, "deleted": 1})
    return held is not None and (held["version"] >= version or bool(held.get("deleted")))


def claim(db, session, group: str, event: dict, now) -> bool:
    """True if `event` is new to `group` (and now recorded as applied); False if it is not."""
    version = event.get("version")
    if version is None:
        return _claim_id(db, session, group, event, now)
    key = f"{group}|{stream_of(event)}"
    held = db.applied_versions.find_one({"_id": key}, session=session)
    if held is not None and (held["version"] >= version or held.get("deleted")):
        return False
    db.applied_versions.update_one({"_id": key}, {"$set": {
        "version": version, "deleted": is_delete(event["type"]), "type": event["type"], "at": now}},
        upsert=True, session=session)
    return True


def _claim_id(db, session, group: str, event: dict, now) -> bool:
    """Events written before versions existed: remembered by id, for a bounded window (a TTL index)."""
    key = f"{group}:{event['id']}"
    if db.processed_events.find_one({"_id": key}, session=session) is not None:
        return False
    db.processed_events.insert_one({"_id": key, "type": event["type"], "processed_at": now}, session=session)
    return True

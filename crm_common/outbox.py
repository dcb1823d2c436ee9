"""Transactional outbox, and the service's permanent event log.

`add` stores events with the state change, in the caller's transaction, and gives
each its aggregate's next version (one counter per aggregate, so two processes
changing one customer are serialised by it and their versions follow commit order).
The relay publishes each aggregate's pending events in version order with
acks='all', then marks them sent. Sent rows are never deleted: they are the
event log a broker that lost its messages, or a new read model, is fed from.

A row that keeps failing on a healthy broker is marked failed after MAX_ATTEMPTS;
it holds back only its own aggregate's later events, until an admin retries it.
"""
from __future__ import annotations

import logging
from typing import Iterable

from bson import ObjectId
from kafka.errors import MessageSizeTooLargeError
from pymongo import InsertOne, UpdateOne

from .errors import Problem
from .events import encode, stream_of, topic_for

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ATTEMPTS = 10
# Far below the broker's default 1 MB message limit, so every accepted event can be published.
MAX_EVENT_BYTES = 512 * 1024


class EventTooLarge(Problem):
    def __init__(self, event_type: str, size: int):
        super().__init__(413, f"this change would publish a {event_type} event of {size} bytes, over the "
                              f"{MAX_EVENT_BYTES}-byte limit; nothing was stored",
                         errors=[{"field": None, "message": "the record is too large to publish"}])


class BrokerUnavailable(RuntimeError):
    """Nothing could be published: the broker or the producer is at fault, not a row."""


def add(db, session, events: Iterable[dict], now) -> None:
    """Store events in the caller's transaction, each with its aggregate's next version."""
    by_collection: dict[str, list] = {}
    for collection, op in writes(db, session, events, now):
        by_collection.setdefault(collection, []).append(op)
    for collection, ops in by_collection.items():  # the counters first, as a reader of both would expect
        db[collection].bulk_write(ops, ordered=False, session=session)


def writes(db, session, events: Iterable[dict], now, *, fresh: Iterable[str] = ()) -> list[tuple[str, object]]:
    """The writes `add` makes, as (collection, pymongo write) pairs, for a caller that sends them with its own.

    `fresh` names aggregates (e.g. `lead:<id>`) the caller creates in this transaction: they have no
    counter yet, so theirs is inserted without reading it first (one round trip less). A wrong
    promise fails on the counter's unique _id and the transaction is retried, never misnumbered.
    """
    events = list(events)
    if not events:
        return []
    by_stream: dict[str, list[dict]] = {}
    for event in events:
        by_stream.setdefault(stream_of(event), []).append(event)
    fresh = set(fresh) & set(by_stream)
    # Read, then write the counters: two transactions doing this for one aggregate conflict and
    # one is retried. (A findAndModify would say it in one call, but scans on SecantusDB.)
    known = sorted(set(by_stream) - fresh)
    held = {d["_id"]: d["version"] for d in db.event_versions.find({"_id": {"$in": known}}, session=session)} \
        if known else {}
    ops: list[tuple[str, object]] = []
    versions, outbox = f"{db.name}.event_versions", f"{db.name}.outbox"  # namespaces for a client-level bulk write
    for stream, same in by_stream.items():
        last = held.get(stream, 0)
        if stream in fresh:
            ops.append(("event_versions", InsertOne({"_id": stream, "version": len(same)}, namespace=versions)))
        else:
            ops.append(("event_versions", UpdateOne({"_id": stream}, {"$set": {"version": last + len(same)}},
                                                    upsert=True, namespace=versions)))
        for offset, event in enumerate(same):
            event["version"] = last + 1 + offset
    for event in events:
        size = len(encode(event))
        if size > MAX_EVENT_BYTES:
            raise EventTooLarge(event["type"], size)  # aborts the caller's transaction: nothing half-written
        ops.append(("outbox", InsertOne({
            "_id": event["id"], "seq": ObjectId(), "key": stream_of(event), "version": event["version"],
            "topic": topic_for(event["type"]), "type": event["type"], "event": event,
            "status": PENDING, "attempts": 0, "created_at": now}, namespace=outbox)))
    return ops


def backlog(db) -> int:
    return db.outbox.count_documents({"status": PENDING})


def failed_count(db) -> int:
    return db.outbox.count_documents({"status": FAILED})


def republish_all(db) -> int:
    """Queue the whole event log again (a broker came back empty); consumers drop what they have."""
    return db.outbox.update_many({"status": SENT}, {"$set": {"status": PENDING, "attempts": 0}}).modified_count


def retry_failed(db, event_id: str | None = None) -> int:
    query = {"status": FAILED, **({"_id": event_id} if event_id else {})}
    return db.outbox.update_many(query, {"$set": {"status": PENDING, "attempts": 0}}).modified_count


class Relay:
    """Publishes pending outbox rows. Run by one worker at a time (a lease)."""

    def __init__(self, db, clock, get_producer, *, batch_size: int = 200, max_attempts: int = MAX_ATTEMPTS):
        # The producer is fetched on first use: an app that never relays never connects to Kafka.
        self.db, self.clock, self.get_producer = db, clock, get_producer
        self.batch_size, self.max_attempts = batch_size, max_attempts

    def _next_rows(self) -> list[dict]:
        """Pending rows of the aggregates first in line, all of each one's pending rows, in version order."""
        head = list(self.db.outbox.find({"status": PENDING}, {"key": 1}).sort("seq", 1).limit(self.batch_size))
        if not head:
            return []  # the usual case when idle: one indexed read
        held = set(self.db.outbox.distinct("key", {"status": FAILED}))
        keys = sorted({row["key"] for row in head} - held)
        if held and not keys:
            more = self.db.outbox.find({"status": PENDING, "key": {"$nin": sorted(held)}}, {"key": 1})
            keys = sorted({row["key"] for row in more.sort("seq", 1).limit(self.batch_size)})
        if not keys:
            return []
        return list(self.db.outbox.find({"status": PENDING, "key": {"$in": keys}}).sort([("key", 1), ("version", 1)]))

    def run_once(self) -> int:
        rows = self._next_rows()
        if not rows:
            return 0
        producer = self.get_producer()
        sends = []
        for row in rows:
            try:
                future = producer.send(
                    row["topic"], key=row["event"]["subject"].encode(), value=encode(row["event"]),
                    headers=[("ce_type", row["type"].encode()), ("ce_id", row["_id"].encode())])
            except Exception as exc:  # noqa: BLE001 - a refused send is judged with the others below
                future = exc
            sends.append((row, future))
        producer.flush(timeout=30)
        sent, failures, blocked = [], [], set()
        for row, future in sends:
            if row["key"] in blocked:
                continue  # an earlier event of this aggregate failed: keep the order, send later
            try:
                if isinstance(future, Exception):
                    raise future
                future.get(timeout=10)
                sent.append(row["_id"])
            except Exception as exc:  # noqa: BLE001 - any failure leaves the row pending
                blocked.add(row["key"])
                failures.append((row, exc))
        if sent:
            self.db.outbox.update_many({"_id": {"$in": sent}},
                                       {"$set": {"status": SENT, "sent_at": self.clock.now()}})
        for row, exc in failures:
            # When nothing got through, blame the broker, not the rows: an outage burns no attempts.
            if sent or isinstance(exc, MessageSizeTooLargeError):
                self._count_attempt(row, exc)
        if failures and not sent:
            raise BrokerUnavailable(f"{len(failures)} events not published: {failures[0][1]!r}")
        return len(sent)

    def _count_attempt(self, row: dict, exc: Exception) -> None:
        failed = row["attempts"] + 1 >= self.max_attempts
        self.db.outbox.update_one({"_id": row["_id"]}, {
            "$inc": {"attempts": 1},
            "$set": {"last_error": repr(exc)[:2000], **({"status": FAILED} if failed else {})}})
        if failed:
            log.error("outbox event %s (%s, %s) failed %d times; it holds back %s until retried: %r",
                      row["_id"], row["type"], row["key"], self.max_attempts, row["key"], exc)
        else:
            log.warning("outbox event %s failed (attempt %d): %r", row["_id"], row["attempts"] + 1, exc)

"""Transactional outbox, and the service's permanent event log.

`add` stores events with the state change, in the caller's transaction, and gives
each its aggregate's next version (one counter per aggregate, so two processes
changing one customer are serialised by it and their versions follow commit order).
The relay publishes each aggregate's pending events in version order with
acks='all', then marks them sent. Sent rows are never deleted: they are the
event log a broker that lost its messages, or a new read model, is fed from.

A row that keeps failing by its own fault (too large, rejected as invalid) is marked
failed after MAX_ATTEMPTS; it holds back only its own aggregate's later events, until
an admin retries it. The broker's errors (down, one partition away, a timeout) count
no attempt: the aggregates they hit wait a few seconds and are sent again.
"""
from __future__ import annotations

import logging
import time
from typing import Iterable

from bson import ObjectId
from kafka.errors import (CorruptRecordError, InvalidRecordError, InvalidTimestampError, KafkaTimeoutError,
                          MessageSizeTooLargeError, RecordListTooLargeError)
from pymongo import InsertOne, UpdateOne

from . import batching, scheduler
from .errors import Problem
from .events import encode, message_key, stream_of, topic_for

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


# Structured mode of the CloudEvents Kafka binding: the value is the whole event. No `ce_` header:
# those mean binary mode, and a CloudEvents SDK would then look for the event in the headers.
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
HEADERS = [("content-type", CONTENT_TYPE.encode())]

# The faults of a row itself: it fails so however often it is sent, so each send counts as an attempt.
# Any other error (broker down, a partition without a leader, a timeout) is the broker's: it burns none.
ROW_ERRORS = (MessageSizeTooLargeError, RecordListTooLargeError, InvalidRecordError, CorruptRecordError,
              InvalidTimestampError)


class BrokerUnavailable(RuntimeError):
    """Nothing could be published: the broker or the producer is at fault, not a row."""


class NotAcked(KafkaTimeoutError):
    """The broker had not acked the row when the relay's flush ran out: it is sent again next round."""


def is_row_error(exc: Exception) -> bool:
    """Whether a failed send is the row's own fault (counted, at last marked failed) or the broker's."""
    return isinstance(exc, ROW_ERRORS)


def _outcome(future) -> Exception | None:
    if isinstance(future, Exception):
        return future  # refused before it was sent
    if not future.is_done:
        return NotAcked("not acked before the relay's flush ran out")
    return future.exception if future.failed() else None


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
        ops.append(("outbox", InsertOne(_row(event, now), namespace=outbox)))
    return ops


def add_first(db, session, events: Iterable[dict], now) -> None:
    """`add` for events each the first of an aggregate new in this transaction (an automation request),
    held to the end of a consumer batch with its other writes (crm_common.batching): no counter read,
    and no write per event. A reused aggregate would restart at version 1: only for fresh ids."""
    for event in events:
        event["version"] = 1
        batching.replace(db, session, "event_versions", {"_id": stream_of(event), "version": 1})
        batching.replace(db, session, "outbox", _row(event, now))


def _row(event: dict, now) -> dict:
    size = len(encode(event))
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(event["type"], size)  # aborts the caller's transaction: nothing half-written
    return {"_id": event["id"], "seq": ObjectId(), "key": stream_of(event), "version": event["version"],
            "topic": topic_for(event["type"]), "type": event["type"], "event": event,
            "status": PENDING, "attempts": 0, "created_at": now}


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
    """Publishes pending outbox rows. Run by one worker at a time (a lease).

    Rows go out in waves: wave k carries the k-th pending row of every aggregate in the batch, and an
    aggregate takes part in the next wave only if its row of this one was acked. So a later event of
    an aggregate never reaches the topic before an earlier one (a consumer would drop the earlier one
    as old), and the usual batch, one row per aggregate, is one wave and one flush.
    """

    def __init__(self, db, clock, get_producer, *, batch_size: int = 200, max_attempts: int = MAX_ATTEMPTS,
                 flush_seconds: float = 5.0, retry_seconds: float = 5.0):
        # The producer is fetched on first use: an app that never relays never connects to Kafka.
        self.db, self.clock, self.get_producer = db, clock, get_producer
        self.batch_size, self.max_attempts = batch_size, max_attempts
        # A flush is bounded, and below what is left of the relay's lease: a row not acked by then is
        # sent again next round (the idempotent producer and the consumers' version guard make that harmless).
        self.flush_seconds, self.retry_seconds = flush_seconds, retry_seconds
        self.waiting: dict[str, float] = {}  # aggregate -> when to try again, after its partition refused it

    def _next_rows(self) -> dict[str, list[dict]]:
        """Pending rows of the aggregates first in line, all of each one's pending rows, in version order."""
        now = time.monotonic()
        self.waiting = {key: at for key, at in self.waiting.items() if at > now}
        if not self.db.outbox.find_one({"status": PENDING}, {"_id": 1}):
            return {}  # the usual case when idle: one indexed read
        skip = set(self.db.outbox.distinct("key", {"status": FAILED})) | set(self.waiting)
        query = {"status": PENDING, **({"key": {"$nin": sorted(skip)}} if skip else {})}
        keys = sorted({row["key"] for row in self.db.outbox.find(query, {"key": 1}).sort("seq", 1)
                       .limit(self.batch_size)})
        rows: dict[str, list[dict]] = {}
        if keys:
            for row in self.db.outbox.find({"status": PENDING, "key": {"$in": keys}}).sort([("key", 1), ("version", 1)]):
                rows.setdefault(row["key"], []).append(row)
        return rows

    def run_once(self) -> int:
        queues = self._next_rows()
        if not queues:
            return 0
        producer = self.get_producer()
        sent, broker_errors = 0, []
        while queues:
            held_for = scheduler.check()  # LeaseLost: another replica relays now, this one sends no more
            wave = [rows.pop(0) for rows in queues.values()]
            acked = []
            for row, error in self._send(producer, wave, min(self.flush_seconds, held_for / 2)):
                if error is None:
                    acked.append(row["_id"])
                    continue
                del queues[row["key"]]  # its later rows wait for this one
                if is_row_error(error):
                    self._count_attempt(row, error)
                else:
                    broker_errors.append(error)
                    self.waiting[row["key"]] = time.monotonic() + self.retry_seconds
            if acked:
                self.db.outbox.update_many({"_id": {"$in": acked}},
                                           {"$set": {"status": SENT, "sent_at": self.clock.now()}})
                sent += len(acked)
            queues = {key: rows for key, rows in queues.items() if rows}
        if broker_errors and not sent:
            # Nothing got through: the broker is down, not one partition. Every aggregate is tried as
            # soon as it is back, with a new producer.
            self.waiting.clear()
            raise BrokerUnavailable(f"{len(broker_errors)} events not published: {broker_errors[0]!r}")
        return sent

    def _send(self, producer, wave: list[dict], flush_seconds: float) -> list[tuple[dict, Exception | None]]:
        """Each row of the wave with what became of it: None when acked, else the error."""
        sends, refused = [], {}
        for row in wave:
            if row["topic"] in refused:  # its metadata did not come: the topic's other rows would wait as long
                sends.append((row, refused[row["topic"]]))
                continue
            try:
                sends.append((row, producer.send(row["topic"], key=message_key(row["event"]),
                                                 value=encode(row["event"]), headers=HEADERS)))
            except KafkaTimeoutError as exc:
                refused[row["topic"]] = exc
                sends.append((row, exc))
            except Exception as exc:  # noqa: BLE001 - judged by is_row_error, with the others
                sends.append((row, exc))
        try:
            producer.flush(timeout=flush_seconds)
        except KafkaTimeoutError:
            pass  # what was not acked by then counts as not sent, below
        return [(row, _outcome(future)) for row, future in sends]

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

"""Transactional outbox: events are stored with the state change, then relayed.

A relay run publishes pending rows in order with acks='all' and the idempotent
producer, then marks them sent. A crash after publishing and before marking
resends those rows; consumers drop the copies by event id.
"""
from __future__ import annotations

import logging
from typing import Iterable

from bson import ObjectId

from .events import encode, topic_for

log = logging.getLogger(__name__)

PENDING, SENT = "pending", "sent"


def add(db, session, events: Iterable[dict], now) -> None:
    """Store events in the caller's transaction; they are published by the relay."""
    events = list(events)
    if not events:
        return
    # ObjectIds order rows by time, then by a per-process counter, with no shared counter
    # document for every transaction to conflict on. One aggregate's writes are serialised
    # by its own document, so its events keep their order.
    rows = [
        {"_id": e["id"], "seq": ObjectId(), "topic": topic_for(e["type"]), "key": e["subject"],
         "type": e["type"], "event": e, "status": PENDING, "attempts": 0, "created_at": now}
        for e in events
    ]
    db.outbox.insert_many(rows, session=session)


def backlog(db) -> int:
    return db.outbox.count_documents({"status": PENDING})


class Relay:
    """Publishes pending outbox rows. Run by one worker at a time (a scheduler lease)."""

    def __init__(self, db, clock, get_producer, *, batch_size: int = 200):
        # The producer is fetched on first use: an app that never relays never connects to Kafka.
        self.db, self.clock, self.get_producer = db, clock, get_producer
        self.batch_size = batch_size

    def run_once(self) -> int:
        rows = list(self.db.outbox.find({"status": PENDING}).sort("seq", 1).limit(self.batch_size))
        if not rows:
            return 0
        producer = self.get_producer()
        futures = []
        for row in rows:
            futures.append(producer.send(
                row["topic"], key=row["key"].encode(), value=encode(row["event"]),
                headers=[("ce_type", row["type"].encode()), ("ce_id", row["_id"].encode())],
            ))
        producer.flush()
        sent = []
        for row, future in zip(rows, futures):
            try:
                future.get(timeout=10)
                sent.append(row["_id"])
            except Exception as exc:  # noqa: BLE001 - any send failure leaves the row pending
                log.warning("outbox send failed for %s: %s", row["_id"], exc)
                self.db.outbox.update_one({"_id": row["_id"]}, {"$inc": {"attempts": 1}})
                break  # keep order: later rows wait for this one
        if sent:
            self.db.outbox.update_many(
                {"_id": {"$in": sent}}, {"$set": {"status": SENT, "sent_at": self.clock.now()}}
            )
        return len(sent)

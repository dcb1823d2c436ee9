"""A consumer for an internal app: reads the CRM's topics, checks each event against its contract,
applies the services' own version rule per aggregate, hands the event to the app, and commits the
offsets only once the poll's events are handled.

The rule is `crm_common.guard.decide`, imported, not copied, with `gaps=False` as `guard.claim`
uses it: an event newer than the last applied of its aggregate is applied (versions it jumps over
are remembered as holes, which a late fact such as a payment may still fill), an older one or a
repeat is skipped, and nothing after a `*.deleted` applies. What has been applied is kept in a
SQLite file; a handler gets that database's connection, and the kit commits the handler's writes
and the version row together, so an app that keeps its state there applies each event once.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from crm_common.events import InvalidEvent, decode, stream_of, topic_for, validate
from crm_common.guard import APPLY, decide, is_delete
from crm_common.kafka import CONSUMER_TIMEOUTS
from kafka import KafkaConsumer

log = logging.getLogger("crm_events")
D = TypeVar("D")


@dataclass(frozen=True)
class Event(Generic[D]):
    """One event; `data` is typed by its contract (`crm_events.types`, e.g. Event[CustomerWonV1])."""
    type: str
    id: str
    subject: str
    version: int | None
    time: str
    source: str
    data: D
    raw: dict

    @classmethod
    def of(cls, raw: dict) -> "Event":
        return cls(raw["type"], raw["id"], raw["subject"], raw.get("version"), raw.get("time", ""),
                   raw["source"], raw.get("data"), raw)


Handler = Callable[[Event, sqlite3.Connection], Any]


def recorded(row: dict | None, event: dict) -> dict:
    """The aggregate's row once `event` is applied, in the shape `decide` reads (holes: [low, high])."""
    version = event["version"]
    row = {"version": version - 1, "holes": [], "deleted": False} if row is None else {
        **row, "holes": [list(hole) for hole in row.get("holes", [])]}
    if version > row["version"]:
        if version > row["version"] + 1:
            row["holes"].append([row["version"] + 1, version - 1])
        row["version"] = version
    else:  # a fact filling a hole
        row["holes"] = [h for low, high in row["holes"] for h in ([low, version - 1], [version + 1, high])
                        if h[0] <= h[1]]
    row["deleted"] = row["deleted"] or is_delete(event["type"])
    return row


class Versions:
    """What this subscriber applied of each aggregate, and the ids of events that carry no version."""

    def __init__(self, path: str = ":memory:"):
        self.db = sqlite3.connect(path, isolation_level="DEFERRED")
        self.db.execute("CREATE TABLE IF NOT EXISTS crm_applied (stream TEXT PRIMARY KEY, row TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS crm_seen (id TEXT PRIMARY KEY)")
        self.db.commit()

    def admit(self, event: dict) -> bool:
        """Whether `event` is to be applied; if so its row is written (in the open transaction)."""
        if event.get("version") is None:
            return self.db.execute("INSERT OR IGNORE INTO crm_seen VALUES (?)", (event["id"],)).rowcount == 1
        stream = stream_of(event)
        found = self.db.execute("SELECT row FROM crm_applied WHERE stream = ?", (stream,)).fetchone()
        row = json.loads(found[0]) if found else None
        if decide(row, event, gaps=False) != APPLY:
            return False
        self.db.execute("INSERT OR REPLACE INTO crm_applied VALUES (?, ?)", (stream, json.dumps(recorded(row, event))))
        return True


class Subscriber:
    """`handlers` maps event types, or patterns such as `crm.customer.*`, to `handler(event, db)`."""

    def __init__(self, bootstrap: str | list[str], group: str, handlers: dict[str, Handler], *,
                 state: str = ":memory:", client_id: str = "crm-events"):
        self.handlers, self.versions = handlers, Versions(state)
        self.topics = sorted({topic_for(pattern.replace("*", "any")) for pattern in handlers})
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, client_id=client_id,
                                      enable_auto_commit=False, auto_offset_reset="earliest",
                                      allow_auto_create_topics=False, **CONSUMER_TIMEOUTS)
        self.consumer.subscribe(self.topics)
        self.invalid = 0  # messages that were no valid event of a contract: logged and passed over
        self.polled = 0  # messages the last poll brought

    def _handler(self, event_type: str) -> Handler | None:
        return next((h for pattern, h in self.handlers.items() if fnmatch.fnmatchcase(event_type, pattern)), None)

    def handle(self, value: bytes) -> bool:
        """One message: True if it was handed to a handler. A handler's error is raised, nothing committed."""
        try:
            raw = decode(value)
            handler = self._handler(raw["type"])
            if handler is not None:
                validate(raw)  # the contract of the types the app reads, as the services check theirs
        except InvalidEvent as exc:
            self.invalid += 1
            log.warning("not a valid CRM event, passed over: %s", exc)
            return False
        db = self.versions.db
        try:
            if not self.versions.admit(raw):  # every event of the stream, handled or not: its versions count
                db.rollback()
                return False
            if handler is not None:
                handler(Event.of(raw), db)
            db.commit()  # the handler's writes and the version row together
        except BaseException:
            db.rollback()
            raise
        return handler is not None

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Handle what one poll brings, then commit its offsets; how many events went to a handler."""
        handled = 0
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        self.polled = sum(len(records) for records in batches.values())
        for records in batches.values():
            for message in records:
                handled += self.handle(message.value)
        if batches:
            self.consumer.commit()
        return handled

    def run(self, stop_when_idle: float | None = None) -> None:
        """Poll until stopped (Ctrl-C), or until nothing arrived for `stop_when_idle` seconds."""
        last = time.monotonic()
        while stop_when_idle is None or time.monotonic() - last < stop_when_idle:
            self.poll_once()
            if self.polled or not self.consumer.assignment():
                last = time.monotonic()

    def rewind(self) -> None:
        """Read the topics again from their first event (they keep every event): the version rule
        passes over what was applied, so only what this subscriber missed reaches its handlers."""
        while not self.consumer.assignment():
            self.consumer.poll(timeout_ms=200)  # joins the group; what it brings is read again below
        self.consumer.seek_to_beginning()

    def close(self) -> None:
        self.consumer.close(autocommit=False)
        self.versions.db.close()

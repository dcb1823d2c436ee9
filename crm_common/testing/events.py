"""The one toolkit for asserting events in tests.

- `outbox_events(db, type)` / `of(rt, type, subject)`: what a service committed to publish.
- `expect_events(rt, [(type, {field: value}), ...])`: the events written during a block, diffed
  against what the test expects (each expected field checked; other fields ignored).
- `Link`: one direction of the flow between two services' handlers, in memory: `src`'s outbox
  into `dst`'s handlers through the consumer's own `deliver` (contract, version guard, one
  transaction), so a test decides when a service hears what.
- `read_topic` / `events_of`: what actually landed on a Kafka topic.
"""
from __future__ import annotations

import contextlib
import json
import time

from kafka import KafkaConsumer, TopicPartition

from crm_common.consumer import deliver


def outbox_events(db, event_type: str | None = None) -> list[dict]:
    """Events a service has committed to publish, oldest first."""
    query = {"type": event_type} if event_type else {}
    return [row["event"] for row in db.outbox.find(query).sort("seq", 1)]


def of(rt, event_type: str, subject: str | None = None) -> list[dict]:
    """The events of `event_type` (about `subject`, if given) `rt` committed, oldest first."""
    return [e for e in outbox_events(rt.db, event_type) if subject is None or e["subject"] == subject]


def data_of(rt, event_type: str, subject: str | None = None) -> list[dict]:
    """The `data` of those events."""
    return [e["data"] for e in of(rt, event_type, subject)]


def _last_seq(db) -> int:
    last = db.outbox.find_one({}, sort=[("seq", -1)])
    return last["seq"] if last else -1


def _mismatches(expected: list, written: list[dict]) -> list[str]:
    problems = []
    for index, (event_type, fields) in enumerate(expected):
        if index >= len(written):
            problems.append(f"#{index}: expected {event_type}, nothing was written")
            continue
        event = written[index]
        if event["type"] != event_type:
            problems.append(f"#{index}: expected {event_type}, written {event['type']}")
            continue
        view = {**event.get("data", {}), "subject": event.get("subject")}
        for name, value in (fields or {}).items():
            if view.get(name, _MISSING) != value:
                problems.append(f"#{index} {event_type}: {name} is {view.get(name, '<absent>')!r}, expected {value!r}")
    for index in range(len(expected), len(written)):
        problems.append(f"#{index}: unexpected {written[index]['type']} ({written[index].get('subject')})")
    return problems


_MISSING = object()


@contextlib.contextmanager
def expect_events(rt, expected: list, *, only: tuple | None = None):
    """Assert that the block writes exactly `expected` to `rt`'s outbox, in order.

    `expected` is [(type, {field: value}), ...]; a field names a member of the event's data, or
    `subject`. `only` limits the comparison to events of those types. Yields the list of written
    events, filled when the block ends.
    """
    start, written = _last_seq(rt.db), []
    yield written
    rows = rt.db.outbox.find({"seq": {"$gt": start}}).sort("seq", 1)
    written.extend(e for e in (row["event"] for row in rows) if not only or e["type"] in only)
    problems = _mismatches(expected, written)
    assert not problems, "events differ:\n  " + "\n  ".join(problems)


class Link:
    """One direction of the event flow: `src`'s outbox into `dst`'s handlers, as `dst`'s consumer would."""

    def __init__(self, src, dst, group: str, handlers: dict):
        self.src, self.dst, self.group, self.handlers = src, dst, group, handlers
        self.seen: set = set()

    def flow(self, *types) -> list:
        """Deliver every event not delivered yet (of `types`, if given), in outbox order; returns them."""
        sent = []
        for row in self.src.db.outbox.find({}).sort("seq", 1):
            event = row["event"]
            if event["id"] in self.seen or (types and event["type"] not in types):
                continue
            self.seen.add(event["id"])
            if event["type"] in self.handlers:
                deliver(self.dst, self.group, self.handlers, event)
                sent.append(event)
        return sent


def read_topic(bootstrap: str, topic: str, *, expect: int, timeout: float = 10.0) -> list:
    """Every message on `topic` from the start, waiting until at least `expect` arrived."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=500)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        messages, deadline = [], time.monotonic() + timeout
        while len(messages) < expect and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                messages.extend(records)
        return messages
    finally:
        consumer.close()


def events_of(messages) -> list[dict]:
    return [json.loads(m.value) for m in messages]


def topic_events(bootstrap: str, topic: str, *, expect: int, timeout: float = 10.0) -> list[dict]:
    """The events on `topic`, decoded: `read_topic` and `events_of` in one."""
    return events_of(read_topic(bootstrap, topic, expect=expect, timeout=timeout))

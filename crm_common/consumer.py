"""The consumer loop: handle, remember, commit; retry, then dead-letter.

Each event is handled in one MongoDB transaction together with the record
that this consumer group processed its id, so a redelivered event has no
second effect. Offsets are committed after processing, and on revoke.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from pymongo.errors import ConnectionFailure

from . import tracing
from .events import InvalidEvent, dead_letter_topic, decode, topic_for
from .kafka import CONSUMER_TIMEOUTS

log = logging.getLogger(__name__)

Handler = Callable[[dict, object], None]  # (event, MongoDB session)


class DependencyDown(RuntimeError):
    """MongoDB or Kafka cannot be reached: wait and retry, blame no message."""


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, loop: "ConsumerLoop"):
        self.loop = loop

    def on_partitions_revoked(self, revoked):
        self.loop.commit(only=set(revoked))

    def on_partitions_assigned(self, assigned):
        log.info("assigned %s", sorted(f"{tp.topic}/{tp.partition}" for tp in assigned))


class ConsumerLoop:
    def __init__(self, runtime, group: str, handlers: dict[str, Handler], *,
                 max_attempts: int = 3, backoff_seconds: float = 0.2, max_poll_records: int = 100,
                 outage_pause_seconds: float = 2.0):
        self.rt, self.group, self.handlers = runtime, group, handlers
        self.max_attempts, self.backoff_seconds = max_attempts, backoff_seconds
        self.outage_pause_seconds = outage_pause_seconds
        self.topics = sorted({topic_for(t) for t in handlers})
        self.stopping = threading.Event()
        self._done: dict = {}  # partition -> next offset to commit
        self.consumer = KafkaConsumer(
            bootstrap_servers=runtime.settings.kafka_servers, group_id=group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            max_poll_records=max_poll_records, **CONSUMER_TIMEOUTS)

    def run(self) -> None:
        self.consumer.subscribe(self.topics, listener=_CommitOnRevoke(self))
        try:
            while not self.stopping.is_set():
                self.poll_once()
        finally:
            self.commit()
            self.consumer.close(autocommit=False)

    def poll_once(self, timeout_ms: int = 500) -> int:
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        count = 0
        try:
            for tp, messages in batch.items():
                for message in messages:
                    self.handle(message)
                    self._done[tp] = message.offset + 1
                    count += 1
        except DependencyDown as exc:
            # MongoDB or Kafka is unreachable: no message is at fault, so none is dead-lettered.
            # Rewind to the first unhandled message of each partition and try again later.
            log.warning("pausing: %s", exc)
            for tp, messages in batch.items():
                self.consumer.seek(tp, self._done.get(tp, messages[0].offset))
            time.sleep(self.outage_pause_seconds)
        self.commit()
        self._record_lag()
        return count

    def commit(self, only: set | None = None) -> None:
        offsets = {tp: OffsetAndMetadata(off, "", -1) for tp, off in self._done.items()
                   if only is None or tp in only}
        if offsets:
            self.consumer.commit(offsets)
            for tp in offsets:
                self._done.pop(tp, None)

    def handle(self, message) -> None:
        try:
            event = decode(message.value)
        except InvalidEvent as exc:
            self.dead_letter(message, str(exc), "unknown")
            return
        handler = self.handlers.get(event["type"])
        if handler is None:
            return  # a type this group does not need
        tracing.traceparent_var.set(tracing.continue_trace(event.get("traceparent")))
        error = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.rt.transaction(lambda session: self._apply(event, handler, session))
                self.rt.metrics.events_handled.labels(event["type"]).inc()
                return
            except ConnectionFailure as exc:
                raise DependencyDown(f"MongoDB: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - any failure is retried, then dead-lettered
                error = exc
                log.warning("handling %s %s failed (attempt %d): %r", event["type"], event["id"], attempt, exc)
                time.sleep(self.backoff_seconds * attempt)
        self.rt.metrics.events_failed.labels(event["type"]).inc()
        self.dead_letter(message, repr(error), event["type"])

    def _apply(self, event: dict, handler: Handler, session) -> None:
        seen = self.rt.db.processed_events
        key = f"{self.group}:{event['id']}"
        if seen.find_one({"_id": key}, session=session) is not None:
            return
        handler(event, session)
        seen.insert_one({"_id": key, "type": event["type"], "processed_at": self.rt.clock.now()}, session=session)

    def dead_letter(self, message, reason: str, event_type: str) -> None:
        log.error("dead-lettering %s/%d@%d: %s", message.topic, message.partition, message.offset, reason)
        headers = list(message.headers or []) + [
            ("dlq_reason", reason[:2000].encode()), ("dlq_topic", message.topic.encode()),
            ("dlq_partition", str(message.partition).encode()), ("dlq_offset", str(message.offset).encode()),
            ("dlq_group", self.group.encode()), ("dlq_type", event_type.encode()),
        ]
        try:
            self.rt.producer.send(dead_letter_topic(message.topic), key=message.key, value=message.value,
                                  headers=headers).get(timeout=10)
        except KafkaError as exc:
            raise DependencyDown(f"Kafka: {exc}") from exc  # not committed: the message comes back

    def _record_lag(self) -> None:
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None:
                position = self.consumer.position(tp)
                self.rt.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, high - position))

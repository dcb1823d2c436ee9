"""The consumer loop: check, handle, commit; hold a partition on failure, never skip.

- An invalid message (not an event, or against its contract) goes to the dead-letter
  topic at once: no retry can make it valid.
- A valid event is handled in one MongoDB transaction with the version guard
  (crm_common.guard), so an old or repeated event has no effect.
- A handler that fails holds its partition: the event is retried with growing
  backoff, later events of that partition wait, other partitions go on. The log,
  `consumer_held` and the lag say so; an admin may move the event to the
  dead-letter topic (`python -m crm_common.dlq skip`).
- MongoDB or Kafka down: no message is blamed; rewind and pause.
Offsets are committed after processing, and on revoke.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from pymongo.errors import ConnectionFailure

from . import guard, tracing
from .events import InvalidEvent, dead_letter_topic, decode, topic_for, validate
from .kafka import CONSUMER_TIMEOUTS

log = logging.getLogger(__name__)

Handler = Callable[[dict, object], None]  # (event, MongoDB session)
REDRIVE_HEADER = "dlq_redrive_group"


class DependencyDown(RuntimeError):
    """MongoDB or Kafka cannot be reached: wait and retry, blame no message."""


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


def deliver(rt, group: str, handlers: dict[str, Handler], event: dict) -> bool:
    """Apply one event as the loop would (contract, guard, handler, one transaction). True if applied."""
    validate(event)
    handler = handlers.get(event["type"])
    if handler is None:
        return False
    return rt.transaction(lambda session: _apply(rt, group, handler, event, session))


def _apply(rt, group: str, handler: Handler, event: dict, session) -> bool:
    if not guard.claim(rt.db, session, group, event, wall_now()):
        return False
    handler(event, session)
    return True


@dataclass
class Hold:
    offset: int
    attempts: int
    retry_at: float
    error: str


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, loop: "ConsumerLoop"):
        self.loop = loop

    def on_partitions_revoked(self, revoked):
        self.loop.commit(only=set(revoked))
        for tp in revoked:
            self.loop.release(tp)  # the next owner of the partition retries it

    def on_partitions_assigned(self, assigned):
        log.info("assigned %s", sorted(f"{tp.topic}/{tp.partition}" for tp in assigned))


class ConsumerLoop:
    def __init__(self, runtime, group: str, handlers: dict[str, Handler], *,
                 backoff_seconds: float = 0.2, max_backoff_seconds: float = 30.0, max_poll_records: int = 100,
                 outage_pause_seconds: float = 2.0):
        self.rt, self.group, self.handlers = runtime, group, handlers
        self.backoff_seconds, self.max_backoff_seconds = backoff_seconds, max_backoff_seconds
        self.outage_pause_seconds = outage_pause_seconds
        self.max_poll_records = max_poll_records
        self.topics = sorted({topic_for(t) for t in handlers})
        self.stopping = threading.Event()
        self.last_poll = time.monotonic()
        self._done: dict = {}   # partition -> next offset to commit
        self.held: dict = {}    # partition -> Hold
        self.consumer = self._new_consumer()

    def _new_consumer(self) -> KafkaConsumer:
        return KafkaConsumer(
            bootstrap_servers=self.rt.settings.kafka_servers, group_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest", allow_auto_create_topics=False,
            max_poll_records=self.max_poll_records, **CONSUMER_TIMEOUTS)

    def subscribe(self) -> None:
        self.consumer.subscribe(self.topics, listener=_CommitOnRevoke(self))

    def restart(self) -> None:
        """Replace the Kafka consumer (it left its group, or failed): it rejoins and resumes from commits."""
        try:
            self.consumer.close(autocommit=False)
        except Exception:  # noqa: BLE001 - a broken consumer may not close cleanly
            log.debug("closing the old consumer failed", exc_info=True)
        self._done.clear()
        for tp in list(self.held):
            self.release(tp)
        self.consumer = self._new_consumer()
        self.subscribe()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.consumer.close(autocommit=False)

    def poll_once(self, timeout_ms: int = 500) -> int:
        self._resume_due()
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        self.last_poll = time.monotonic()
        count = 0
        try:
            for tp, messages in batch.items():
                for message in messages:
                    if not self._handle_or_hold(tp, message):
                        break  # held: the rest of this partition waits for it
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
        if not offsets:
            return
        try:
            self.consumer.commit(offsets)
        except (KafkaError, RuntimeError) as exc:
            # Not fatal: the events come again and the guard drops them. A consumer that left its
            # group rejoins on the next poll, or is rebuilt by the worker's supervisor. RuntimeError:
            # a consumer closed from another thread runs the revoke listener on kafka-python's IO
            # thread, which refuses a blocking commit (and its close would fail with it).
            log.warning("commit failed, events will be redelivered: %r", exc)
        for tp in offsets:
            self._done.pop(tp, None)

    # -- one message -------------------------------------------------------------------------------

    def _handle_or_hold(self, tp, message) -> bool:
        """True when the message is done with (handled, not ours, dead-lettered); False when held."""
        try:
            event = decode(message.value)
            handler = self.handlers.get(event["type"])
            if handler is None or self._redriven_for_another_group(message):
                return True
            if guard.already_applied(self.rt.db, self.group, event):
                return True  # a replayed or redelivered copy: skipped before the costly contract check
            validate(event)
        except InvalidEvent as exc:
            self.dead_letter(message, str(exc), "unknown")
            return True
        except ConnectionFailure as exc:
            raise DependencyDown(f"MongoDB: {exc}") from exc
        tracing.traceparent_var.set(tracing.continue_trace(event.get("traceparent")))
        if tp in self.held and self._skip_ordered(tp, message):
            self.dead_letter(message, f"moved by an admin after: {self.held[tp].error}", event["type"])
            self.release(tp)
            return True
        try:
            self.rt.transaction(lambda session: _apply(self.rt, self.group, handler, event, session))
        except ConnectionFailure as exc:
            raise DependencyDown(f"MongoDB: {exc}") from exc
        except DependencyDown:
            raise
        except Exception as exc:  # noqa: BLE001 - any handler failure holds the partition and is retried
            self._hold(tp, message, event, exc)
            return False
        self.rt.metrics.events_handled.labels(event["type"]).inc()
        if tp in self.held:
            log.info("%s/%d@%d handled after %d failed attempts; partition moves on",
                     tp.topic, tp.partition, message.offset, self.held[tp].attempts)
            self.release(tp)
        return True

    def _hold(self, tp, message, event: dict, exc: Exception) -> None:
        previous = self.held.get(tp)
        attempts = previous.attempts + 1 if previous and previous.offset == message.offset else 1
        delay = min(self.backoff_seconds * 2 ** (attempts - 1), self.max_backoff_seconds)
        self.held[tp] = Hold(message.offset, attempts, time.monotonic() + delay, repr(exc)[:2000])
        log.error("holding %s/%d at offset %d: %s %s failed %d times, retry in %.1fs: %r", tp.topic, tp.partition,
                  message.offset, event["type"], event["id"], attempts, delay, exc)
        self.rt.metrics.events_failed.labels(event["type"]).inc()
        self.rt.metrics.consumer_held.labels(tp.topic, str(tp.partition)).set(1)
        self.rt.db.consumer_held.update_one({"_id": f"{self.group}|{tp.topic}|{tp.partition}"}, {"$set": {
            "group": self.group, "topic": tp.topic, "partition": tp.partition, "offset": message.offset,
            "event_id": event["id"], "type": event["type"], "subject": event["subject"], "attempts": attempts,
            "error": repr(exc)[:2000], "at": wall_now()}}, upsert=True)
        self.consumer.seek(tp, message.offset)
        self.consumer.pause(tp)

    def release(self, tp) -> None:
        if self.held.pop(tp, None) is not None:
            self.rt.metrics.consumer_held.labels(tp.topic, str(tp.partition)).set(0)
            self.rt.db.consumer_held.delete_one({"_id": f"{self.group}|{tp.topic}|{tp.partition}"})
            if tp in self.consumer.paused():
                self.consumer.resume(tp)

    def _resume_due(self) -> None:
        now = time.monotonic()
        for tp, hold in self.held.items():
            if hold.retry_at <= now and tp in self.consumer.paused():
                self.consumer.resume(tp)

    def _skip_ordered(self, tp, message) -> bool:
        held = self.rt.db.consumer_held.find_one({"_id": f"{self.group}|{tp.topic}|{tp.partition}"}) or {}
        return bool(held.get("skip")) and held.get("offset") == message.offset

    def _redriven_for_another_group(self, message) -> bool:
        target = dict(message.headers or []).get(REDRIVE_HEADER)
        return target is not None and target.decode() != self.group

    def dead_letter(self, message, reason: str, event_type: str) -> None:
        log.error("dead-lettering %s/%d@%d: %s", message.topic, message.partition, message.offset, reason)
        headers = [(k, v) for k, v in (message.headers or []) if not k.startswith("dlq_")] + [
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

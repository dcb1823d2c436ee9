"""The consumer loop: check, handle in batches, commit; retry a failing event a bounded time.

- The events of one poll are applied per partition in one MongoDB transaction (up to
  `batch_size` each), their counters folded (crm_common.batching), each event still passed by
  the version guard (crm_common.guard) inside it: an old or repeated event has no effect, a fact
  counts once even late, an event after a gap in its aggregate's versions waits for it.
- A handler failing in a batch aborts the batch, which is then applied one event a transaction:
  the events before the failing one are applied, the failing one is retried with growing
  backoff while later events of its partition wait (other partitions go on). After
  CONSUMER_MAX_ATTEMPTS attempts or CONSUMER_MAX_RETRY_SECONDS, whichever first, it goes to the
  dead-letter topic, its aggregate is held (its later events are parked, not applied) and the
  partition moves on. Redriving the dead letter (`python -m crm_common.dlq redrive`) applies it
  and then the parked events, in order; `dlq skip` lets the aggregate go on without it.
- An invalid message (not an event, or against its contract) goes to the dead-letter topic at
  once: no retry can make it valid.
- MongoDB or Kafka down: no message is blamed and no attempt counted; rewind and pause.
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
from pymongo.errors import ConnectionFailure, PyMongoError

from . import batching, guard, tracing
from .events import InvalidEvent, dead_letter_topic, decode, stream_of, topic_for, validate
from .kafka import CONSUMER_TIMEOUTS

log = logging.getLogger(__name__)

Handler = Callable[[dict, object], None]  # (event, MongoDB session)
REDRIVE_HEADER = "dlq_redrive_group"
RELEASES = "consumer_releases"  # an admin's word that a held or gapped aggregate may go on (crm_common.dlq)


class DependencyDown(RuntimeError):
    """MongoDB or Kafka cannot be reached: wait and retry, blame no message."""


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


def deliver(rt, group: str, handlers: dict[str, Handler], event: dict) -> bool:
    """Apply one event a caller picked (contract, guard, handler, one transaction). True if applied.
    Nothing waits: a version ahead of the last applied is applied, as `guard.claim` does."""
    validate(event)
    handler = handlers.get(event["type"])
    if handler is None:
        return False

    def work(session) -> bool:
        with batching.folding(rt.db, session):
            if not guard.claim(rt.db, session, group, event, wall_now()):
                return False
            handler(event, session)
        return True
    return rt.transaction(work)


@dataclass
class Hold:
    offset: int
    attempts: int
    retry_at: float
    error: str
    first_failed_at: datetime


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
                 outage_pause_seconds: float = 2.0, batch_size: int = 100, max_attempts: int | None = None,
                 max_retry_seconds: float | None = None, compact_at: int | None = batching.COMPACT_AT):
        self.rt, self.group, self.handlers = runtime, group, handlers
        self.backoff_seconds, self.max_backoff_seconds = backoff_seconds, max_backoff_seconds
        self.outage_pause_seconds = outage_pause_seconds
        self.max_poll_records, self.batch_size = max_poll_records, batch_size
        self.compact_at = compact_at  # None: journals are compacted by the caller (a rebuild, at its end)
        self.max_attempts = max_attempts or runtime.settings.consumer_max_attempts
        self.max_retry_seconds = max_retry_seconds or runtime.settings.consumer_max_retry_seconds
        self.topics = sorted({topic_for(t) for t in handlers})
        self.stopping = threading.Event()
        self.last_poll = self._releases_checked = time.monotonic()
        self._done: dict = {}   # partition -> next offset to commit
        self.held: dict = {}    # partition -> Hold
        self.consumer = self._new_consumer()

    def _new_consumer(self) -> KafkaConsumer:
        return KafkaConsumer(
            **self.rt.settings.kafka_client(), group_id=self.group,
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

    def close(self, timeout_ms: int | None = None) -> None:
        """Commit what was applied and leave the group (its partitions go to the others at once)."""
        try:
            self.commit(timeout_ms=timeout_ms)
        finally:
            self.consumer.close(autocommit=False, timeout_ms=timeout_ms)

    def poll_once(self, timeout_ms: int = 500) -> int:
        self._resume_due()
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        self.last_poll = time.monotonic()
        count = 0
        try:
            self._answer_admins()
            for tp, messages in batch.items():
                if self.stopping.is_set():
                    break  # the worker stops: partitions not begun are left to the next owner, uncommitted
                count += self._partition(tp, messages)
            self._compact()
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

    def commit(self, only: set | None = None, timeout_ms: int | None = None) -> None:
        offsets = {tp: OffsetAndMetadata(off, "", -1) for tp, off in self._done.items()
                   if only is None or tp in only}
        if not offsets:
            return
        try:
            self.consumer.commit(offsets, timeout_ms=timeout_ms)
        except (KafkaError, RuntimeError) as exc:
            # Not fatal: the events come again and the guard drops them. A consumer that left its
            # group rejoins on the next poll, or is rebuilt by the worker's supervisor. RuntimeError:
            # a consumer closed from another thread runs the revoke listener on kafka-python's IO
            # thread, which refuses a blocking commit (and its close would fail with it).
            log.warning("commit failed, events will be redelivered: %r", exc)
        for tp in offsets:
            self._done.pop(tp, None)

    # -- one partition's messages ------------------------------------------------------------------

    def _partition(self, tp, messages) -> int:
        """Handle a partition's messages in order, in batches; how many were done with."""
        decoded = [(m, self._decode(m)) for m in messages]
        repeats = self._mongo(lambda: guard.repeats(self.rt.db, self.group, [
            e for _, e in decoded if isinstance(e, dict)]))
        run: list = []  # (message, event or None: nothing to apply) for the next transaction
        for message, event in decoded:
            aside = None
            if tp in self.held and self._skip_ordered(tp, message):
                aside = (f"moved by an admin after: {self.held[tp].error}", "moved_by_admin")
            elif isinstance(event, InvalidEvent):
                aside = (str(event), "invalid")
            else:
                run.append((message, None if event is None or event["id"] in repeats else event))
            if aside is None and len(run) < self.batch_size:
                continue
            if not self._apply_run(tp, run):
                break  # held: the rest of this partition waits for it
            run = []
            if aside is not None:
                self._move_aside(message, event if isinstance(event, dict) else getattr(event, "event", None), *aside)
                self.release(tp)
                self._done[tp] = message.offset + 1
        else:
            self._apply_run(tp, run)
        return self._done.get(tp, messages[0].offset) - messages[0].offset

    def _decode(self, message):
        """The event to hand the guard; None if not this group's; InvalidEvent to dead-letter."""
        event = None
        try:
            event = decode(message.value)
            if self._redriven_for_another_group(message):
                return None
            if event["type"] not in self.handlers:
                # not ours to handle, but its version tells the guard nothing is missing
                return event if event.get("version") is not None else None
            validate(event)
            return event
        except InvalidEvent as exc:
            exc.event = event
            return exc

    def _apply_run(self, tp, run: list) -> bool:
        """Apply a run of events in one transaction; on a handler's failure, one by one. False if held."""
        pending = [(m, e) for m, e in run if e is not None]
        # A held partition retries its failing event on its own: no batch to abort for it.
        if len(pending) > 1 and tp not in self.held and self._attempt([e for _, e in pending]) is None:
            pending = []
        for message, event in pending:  # one a transaction: those before the failing one are applied
            failure = self._attempt([event])
            if failure is not None and not self._failed(tp, message, event, failure):
                self._done[tp] = message.offset
                return False
        if run:
            self._done[tp] = run[-1][0].offset + 1
            self._recovered(tp, run)
        return True

    def _attempt(self, events: list[dict]) -> Exception | None:
        """Apply `events` in one transaction; the handler's exception if one failed (nothing applied)."""
        try:
            applied = self.rt.transaction(lambda session: self._apply_all(events, session))
        except ConnectionFailure as exc:
            raise DependencyDown(f"MongoDB: {exc}") from exc
        except DependencyDown:
            raise
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            return exc
        for event_type in applied:
            self.rt.metrics.events_handled.labels(event_type).inc()
        return None

    def _apply_all(self, events: list[dict], session, release: dict | None = None) -> list[str]:
        ledger = guard.Ledger(self.rt.db, session, self.group, wall_now())
        applied: list[str] = []
        with batching.folding(self.rt.db, session, events):
            ledger.load(events)
            if release is not None:
                self._drain(ledger, ledger.release(release["stream"], unhold=release["action"] == "skip"),
                            session, applied)
            for event in events:
                self._admit(ledger, event, session, applied)
        ledger.flush()
        return applied

    def _admit(self, ledger, event: dict, session, applied: list) -> None:
        verdict = ledger.admit(event)
        if verdict == guard.PARK:
            log.warning("parked %s %s v%s: %s waits for an earlier version or a held event",
                        event["type"], event["id"], event["version"], stream_of(event))
        if verdict != guard.APPLY:
            return
        handler = self.handlers.get(event["type"])
        if handler is not None:
            tracing.traceparent_var.set(tracing.continue_trace(event.get("traceparent")))
            handler(event, session)
            applied.append(event["type"])
        if event.get("version") is not None:
            self._drain(ledger, ledger.due(stream_of(event)), session, applied)

    def _drain(self, ledger, parked: list, session, applied: list) -> None:
        for event, apply in parked:
            if apply:
                self._admit(ledger, event, session, applied)
            else:
                ledger.forgo(event)
                self._drain(ledger, ledger.due(stream_of(event)), session, applied)

    # -- failures ----------------------------------------------------------------------------------

    def _failed(self, tp, message, event: dict, exc: Exception) -> bool:
        """Count a failed attempt; True once the retries are over and the event dead-lettered."""
        previous = self.held.get(tp)
        if previous is None or previous.offset != message.offset:  # after a restart: count on
            row = self._mongo(lambda: self.rt.db.consumer_held.find_one({"_id": self._held_id(tp)})) or {}
            previous = Hold(message.offset, row["attempts"], 0, row["error"], row["first_failed_at"]) \
                if row.get("offset") == message.offset and row.get("first_failed_at") else None
        attempts = previous.attempts + 1 if previous else 1
        first = previous.first_failed_at if previous else wall_now()
        self.rt.metrics.events_failed.labels(event["type"]).inc()
        elapsed = (wall_now() - first).total_seconds()
        if attempts >= self.max_attempts or elapsed >= self.max_retry_seconds:
            self._give_up(tp, message, event, f"failed {attempts} times in {elapsed:.0f}s, the last: {exc!r}")
            return True
        delay = min(self.backoff_seconds * 2 ** (attempts - 1), self.max_backoff_seconds)
        self.held[tp] = Hold(message.offset, attempts, time.monotonic() + delay, repr(exc)[:2000], first)
        log.error("holding %s/%d at offset %d: %s %s failed %d times, retry in %.1fs: %r", tp.topic, tp.partition,
                  message.offset, event["type"], event["id"], attempts, delay, exc)
        self.rt.metrics.consumer_held.labels(tp.topic, str(tp.partition)).set(1)
        self._mongo(lambda: self.rt.db.consumer_held.update_one({"_id": self._held_id(tp)}, {"$set": {
            "group": self.group, "topic": tp.topic, "partition": tp.partition, "offset": message.offset,
            "event_id": event["id"], "type": event["type"], "subject": event["subject"], "attempts": attempts,
            "error": repr(exc)[:2000], "first_failed_at": first, "at": wall_now()}}, upsert=True))
        self.consumer.seek(tp, message.offset)
        self.consumer.pause(tp)
        return False

    def _give_up(self, tp, message, event: dict, reason: str) -> None:
        """Dead-letter an event whose retries are over; its aggregate waits for it (held), the partition not."""
        log.error("dead-lettering %s %s (%s) after its retries: %s; later events of %s wait for a redrive or "
                  "`dlq skip`", event["type"], event["id"], message.offset, reason, stream_of(event))

        def hold(session):
            ledger = guard.Ledger(self.rt.db, session, self.group, wall_now())
            ledger.hold(event, reason)
            ledger.flush()
        self._mongo(lambda: self.rt.transaction(hold))  # first: should the send fail, the event comes again
        self.dead_letter(message, reason, event["type"], "handler_failed")
        self.release(tp)

    def _move_aside(self, message, event: dict | None, reason: str, cause: str) -> None:
        """Dead-letter a message that will not be applied; its aggregate's later events need not wait."""
        self.dead_letter(message, reason, (event or {}).get("type") or "unknown", cause)
        if event is not None and event.get("version") is not None:
            def forgo(session):
                ledger, applied = guard.Ledger(self.rt.db, session, self.group, wall_now()), []
                self._drain(ledger, [(event, False)], session, applied)  # and what waited for it
                ledger.flush()
                return applied
            for event_type in self._mongo(lambda: self.rt.transaction(forgo)):
                self.rt.metrics.events_handled.labels(event_type).inc()

    def _recovered(self, tp, run: list) -> None:
        hold = self.held.get(tp)
        if hold is not None and any(m.offset == hold.offset for m, _ in run):
            log.info("%s/%d@%d handled after %d failed attempts; partition moves on",
                     tp.topic, tp.partition, hold.offset, hold.attempts)
            self.release(tp)

    def _compact(self) -> None:
        """Journaled counters (crm_common.batching) this loop appended enough to: added into their
        counters in transactions of their own. A failure loses nothing: the sums wait in the journal."""
        if self.compact_at is None:
            return
        try:
            self._mongo(lambda: batching.compact_due(self.rt.db, self.compact_at))
        except PyMongoError as exc:
            log.warning("compacting journaled counters failed, trying again later: %r", exc)

    def _mongo(self, work):
        try:
            return work()
        except ConnectionFailure as exc:
            raise DependencyDown(f"MongoDB: {exc}") from exc

    def _held_id(self, tp) -> str:
        return f"{self.group}|{tp.topic}|{tp.partition}"

    def release(self, tp) -> None:
        if self.held.pop(tp, None) is not None:
            self.rt.metrics.consumer_held.labels(tp.topic, str(tp.partition)).set(0)
            self.rt.db.consumer_held.delete_one({"_id": self._held_id(tp)})
            if tp in self.consumer.paused():
                self.consumer.resume(tp)

    def _resume_due(self) -> None:
        now = time.monotonic()
        for tp, hold in self.held.items():
            if hold.retry_at <= now and tp in self.consumer.paused():
                self.consumer.resume(tp)

    def _skip_ordered(self, tp, message) -> bool:
        if self.held[tp].offset != message.offset:
            return False
        held = self._mongo(lambda: self.rt.db.consumer_held.find_one({"_id": self._held_id(tp)})) or {}
        return bool(held.get("skip")) and held.get("offset") == message.offset

    def _answer_admins(self, every_seconds: float = 1.0) -> None:
        """Let go on the aggregates an admin released (`dlq skip` of a held one, `dlq skip-gap`)."""
        if time.monotonic() - self._releases_checked < every_seconds:
            return
        self._releases_checked = time.monotonic()
        for request in self._mongo(lambda: list(self.rt.db[RELEASES].find({"group": self.group}))):
            failure = self._mongo(lambda: self._release(request))
            if failure is not None:
                log.error("releasing %s for %s failed, trying again: %r", request["stream"], self.group, failure)
                continue
            log.info("%s: %s goes on (%s by an admin)", self.group, request["stream"], request["action"])
            self._mongo(lambda: self.rt.db[RELEASES].delete_one({"_id": request["_id"], "at": request.get("at")}))

    def _release(self, request: dict) -> Exception | None:
        try:
            applied = self.rt.transaction(lambda session: self._apply_all([], session, release=request))
        except ConnectionFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - a parked event's handler failed: the request stays
            return exc
        for event_type in applied:
            self.rt.metrics.events_handled.labels(event_type).inc()
        return None

    def _redriven_for_another_group(self, message) -> bool:
        target = dict(message.headers or []).get(REDRIVE_HEADER)
        return target is not None and target.decode() != self.group

    def dead_letter(self, message, reason: str, event_type: str, cause: str = "invalid") -> None:
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
        self.rt.metrics.events_dead_lettered.labels(event_type, cause).inc()

    def _record_lag(self) -> None:
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None:
                position = self.consumer.position(tp)
                self.rt.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, high - position))

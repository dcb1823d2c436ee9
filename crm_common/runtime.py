"""What one process of a service holds: settings, clock, database, lazy Kafka producer."""
from __future__ import annotations

import threading

from . import idempotency, kafka, mongo, outbox
from .clock import Clock
from .events import new_event
from .metrics import Metrics


class Runtime:
    def __init__(self, settings, indexes=(), *, clock: Clock | None = None):
        self.settings = settings
        self.client = mongo.connect(settings.mongo_uri)
        self.db = self.client[settings.mongo_db]
        mongo.through_restarts(lambda: mongo.ensure_indexes(self.db, *indexes), "creating indexes")
        # Only dev and test may move time; production reads a plain clock.
        self.clock = clock or Clock(self.db.dev_clock if settings.is_dev else None)
        self.metrics = Metrics(settings.prometheus_multiproc_dir)
        # name -> callable: extra conditions /readyz waits for, e.g. a cache still warming up
        self.readiness: dict = {}
        self._producer = None
        self._lock = threading.Lock()

    @property
    def producer(self):
        with self._lock:
            if self._producer is None:
                self._producer = kafka.producer(self.settings)
            return self._producer

    def reset_producer(self) -> None:
        """Drop the producer (e.g. fatal after a broker restart); the next use builds a fresh one."""
        with self._lock:
            old, self._producer = self._producer, None
        if old is not None:
            try:
                old.close(timeout=0)
            except Exception:  # noqa: BLE001 - a broken producer may not close cleanly
                pass

    def event(self, event_type: str, subject: str, data: dict, *, key: str | None = None,
              caused_by: dict | None = None) -> dict:
        return new_event(event_type, subject, data, source=self.settings.service, time=self.clock.now(), key=key,
                         caused_by=caused_by)

    def transaction(self, work):
        """Run `work(session)` in one MongoDB transaction; what it returns.

        In an idempotent request its result is kept with the work (crm_common.idempotency.keep_result),
        and a retry whose first attempt committed it gets that result back without running `work` again:
        the route answers as the first attempt would have."""
        replayed = idempotency.replayed_result()
        if replayed is not idempotency.NOT_KEPT:
            return replayed

        def kept(session):
            result = work(session)
            idempotency.keep_result(self.db, session, result)
            return result
        return mongo.in_transaction(self.client, kept)

    def publish(self, session, *events: dict) -> None:
        """Queue events in the caller's transaction; the outbox relay sends them."""
        outbox.add(self.db, session, events, self.clock.now())

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            except Exception:  # noqa: BLE001 - shutting down: a broker already gone is no news
                pass
        self.client.close()

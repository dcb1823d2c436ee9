"""The worker process: consumers, the outbox relay and scheduled jobs, each on its own thread,
each healing itself.

An unexpected error rebuilds the consumer or the producer inside the process, with
backoff and a log line; only a consumer that keeps failing makes the worker exit
non-zero, for the orchestrator (under `make run`, one process exiting stops all, so
in-process recovery is the rule). `/livez` on the worker's metrics port answers 503
while the consumer, the relay or the scheduler's tick is not making rounds, or a scheduled
job runs past its lease (each job runs on a thread of its own, so the tick never waits for one).

On SIGTERM (or SIGINT) the worker stops within DRAIN_SECONDS (the Helm chart's worker
`drainSeconds` is at least this): the consumer polls no more, finishes the batch in hand (each
batch is one transaction: applied whole or not at all), commits what it applied and leaves its
group, so the other replicas take its partitions in one rebalance; the relay ends with the wave
it is sending (its rows are acked and marked sent, or stay pending); each scheduled job stops
before its next write, as if it had lost its lease; every lease is released, so another replica
takes the relay and the jobs at once. Work still going at the deadline is left uncommitted, and
goes again on another replica.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app

from . import outbox
from .consumer import ConsumerLoop
from .kafka import BrokerWatch
from .scheduler import LeaseLost

log = logging.getLogger(__name__)

STALE_AFTER_SECONDS = 60.0  # a round takes under a few seconds; this long means stuck
DRAIN_SECONDS = 30  # SIGTERM to exit, at most; deploy/helm/crm/values.yaml's worker drainSeconds
CLOSE_SECONDS = 5  # of the drain, kept for closing the producer (its last acks) and the consumer


class Health:
    """When each loop last came round, for /livez."""

    def __init__(self):
        self.beats: dict[str, float] = {}

    def beat(self, name: str) -> None:
        self.beats[name] = time.monotonic()

    def stale(self) -> list[str]:
        now = time.monotonic()
        return sorted(name for name, at in self.beats.items() if now - at > STALE_AFTER_SECONDS)


class Worker:
    def __init__(self, rt, spec_name: str, handlers: dict, relay_job: str):
        self.rt, self.relay_job = rt, relay_job
        self.stop, self.fatal, self.health = threading.Event(), threading.Event(), Health()
        self.max_failures = rt.settings.worker_max_failures
        self.loop = ConsumerLoop(rt, spec_name, handlers) if handlers else None
        self.threads: list[threading.Thread] = []

    def start(self) -> list[threading.Thread]:
        targets = [("relay", self.relay_forever), ("scheduler", self.schedule_forever)]
        if self.loop:
            targets.insert(0, ("consumer", self.consume_forever))
        self.threads = [threading.Thread(target=fn, name=name, daemon=True) for name, fn in targets]
        for thread in self.threads:
            self.health.beat(thread.name)
            thread.start()
        return self.threads

    def consume_forever(self) -> None:
        failures, backoff = 0, 0.5
        try:
            self.loop.subscribe()
            while not self.stop.is_set():
                self.health.beat("consumer")
                try:
                    self.loop.poll_once()
                    failures, backoff = 0, 0.5
                except Exception as exc:  # noqa: BLE001 - e.g. CommitFailedError, left the group: rebuild
                    failures += 1
                    log.error("consumer failed (%d in a row): %r; rebuilding it in %.1fs", failures, exc, backoff)
                    self.rt.metrics.restarts.labels("consumer").inc()
                    if failures > self.max_failures:
                        log.critical("consumer keeps failing; the worker exits for its orchestrator")
                        self.fatal.set()
                        self.stop.set()
                        return
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    if not self.stop.is_set():
                        self._quietly(self.loop.restart, "rebuilding the consumer")
        finally:
            # Commits what was applied and leaves the group: the other replicas rebalance now,
            # not after the session timeout.
            self._quietly(lambda: self.loop.close(timeout_ms=CLOSE_SECONDS * 1000), "closing the consumer")

    def relay_forever(self) -> None:
        """Publish the outbox while this replica holds the relay's lease (checked every 2 s and renewed
        once a third of its 10 s has passed, so a killed holder is replaced within the lease); check the
        broker every 5 s."""
        watch, next_check, backoff = BrokerWatch(self.rt.settings), 0.0, 0.1
        scheduler, job = self.rt.scheduler, self.rt.scheduler.jobs[self.relay_job]
        held_until = 0.0
        while not self.stop.is_set():
            self.health.beat("relay")
            try:
                if time.monotonic() >= held_until:
                    held_until = time.monotonic() + 2.0 if scheduler.hold(self.relay_job) else 0.0
                    if not held_until:
                        self.stop.wait(1.0)  # another replica relays
                        continue
                if time.monotonic() >= next_check:
                    if watch.check():
                        republish(self.rt)
                        watch.mark()
                    next_check = time.monotonic() + 5.0
                sent = job.run()
                backoff = 0.1
                self.stop.wait(0.01 if sent else 0.1)
            except LeaseLost:
                held_until = 0.0  # another replica relays now; the producer is fine
            except Exception as exc:  # noqa: BLE001 - broker down, fatal producer: new producer, try again
                log.warning("outbox relay: %r; new producer, retry in %.1fs", exc, backoff)
                self.rt.reset_producer()
                self.rt.metrics.restarts.labels("producer").inc()
                next_check = 0.0
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        watch.close()
        # Released even when the last run stopped on the worker's stop: another replica relays at once.
        self._quietly(lambda: scheduler.let_go(self.relay_job), "releasing the relay lease")

    def schedule_forever(self) -> None:
        while not self.stop.is_set():
            self.health.beat("scheduler")
            try:
                self.rt.scheduler.start_due()
            except Exception as exc:  # noqa: BLE001 - e.g. MongoDB unreachable: keep ticking until it is back
                log.warning("scheduler tick failed: %r", exc)
                self.stop.wait(2.0)
            self.stop.wait(0.5)  # jobs run every few seconds at most; each tick costs a lease look-up per job

    def serve_health(self, port: int) -> None:
        metrics = make_wsgi_app(self.rt.metrics.registry)

        def app(environ, start_response):
            if environ.get("PATH_INFO") == "/livez":
                scheduler = getattr(self.rt, "scheduler", None)
                stale = self.health.stale() + [f"job:{n}" for n in (scheduler.overdue() if scheduler else [])]
                status = "503 Service Unavailable" if stale or self.fatal.is_set() else "200 OK"
                start_response(status, [("Content-Type", "application/json")])
                return [('{"stale": [%s]}' % ", ".join(f'"{n}"' for n in stale)).encode()]
            return metrics(environ, start_response)

        server = make_server(self.rt.settings.bind, port, app, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, name="health", daemon=True).start()

    def drain(self) -> bool:
        """After `stop`: wait for every loop and job run to end, within DRAIN_SECONDS; True if all did."""
        if self.loop:
            self.loop.stopping.set()
        deadline = time.monotonic() + DRAIN_SECONDS - CLOSE_SECONDS
        pending = list(self.threads)
        while pending and time.monotonic() < deadline:
            self._end_runs()
            pending[0].join(timeout=0.1)
            # A job the tick started at the last moment is waited for too.
            jobs = [t for t in getattr(self.rt.scheduler, "threads", {}).values() if t not in pending]
            pending = [t for t in pending + jobs if t.is_alive()]
        if pending:
            log.warning("stopping: %s still running after the drain; their work is left uncommitted",
                        ", ".join(t.name for t in pending))
        return not pending

    def _end_runs(self) -> None:
        """Each run holding a lease here stops at its next check (before its next write) and lets it go."""
        for lease in list(getattr(self.rt.scheduler, "held", {}).values()):
            lease.lost = True

    def _quietly(self, fn, what: str) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - best effort; the next round tries again
            log.warning("%s failed: %r", what, exc)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # probes every few seconds: not worth a log line each
        pass


def run(rt, spec_name: str, handlers: dict, relay_job: str) -> int:
    """Run until SIGTERM or SIGINT; returns the exit code."""
    worker = Worker(rt, spec_name, handlers, relay_job)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop.set())
    if rt.settings.worker_metrics_port:
        worker.serve_health(rt.settings.worker_metrics_port)
    worker.start()
    log.info("worker started", extra={"fields": {"topics": worker.loop.topics if worker.loop else [],
                                                  "jobs": sorted(rt.scheduler.jobs)}})
    worker.stop.wait()
    started = time.monotonic()
    log.info("worker stopping: draining within %ds", DRAIN_SECONDS)
    # Stopping: under `make run` the broker stops at the same moment, so kafka-python's connection
    # errors while the consumer and producer close are expected, not worth a traceback.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    worker.drain()
    worker._quietly(rt.close, "closing")  # the producer waits up to CLOSE_SECONDS for its last acks
    log.info("worker stopped", extra={"fields": {"drain_seconds": round(time.monotonic() - started, 1)}})
    return 1 if worker.fatal.is_set() else 0


def ensure_topics(rt) -> None:
    """Create the service's topics before its worker starts. A missing marker means the broker holds
    nothing this service published: it came back empty while no worker of ours watched it (e.g. this
    worker was killed right after a broker restart), so the event log goes out again, and only then
    is the marker made (BrokerWatch.check says why)."""
    watch = BrokerWatch(rt.settings, wait_seconds=30.0)  # the broker may be starting too
    try:
        if watch.check():
            republish(rt)
            watch.mark()
    finally:
        watch.close()


def republish(rt) -> None:
    count = outbox.republish_all(rt.db)
    log.warning("the broker came back without its topics: publishing the event log again "
                "(%d events); consumers drop what they already applied", count)

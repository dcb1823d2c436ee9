"""Prometheus metrics. Each app or worker has its own registry, so tests can build many.

Under gunicorn with PROMETHEUS_MULTIPROC_DIR set, values from every worker process
are summed at scrape time.
"""
from __future__ import annotations


from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess


class Metrics:
    def __init__(self, multiproc_dir: str | None = None):
        self.multiproc_dir = multiproc_dir
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.request_seconds = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route", "status"], registry=r)
        self.events_handled = Counter("events_handled_total", "Events handled", ["type"], registry=r)
        self.events_failed = Counter(
            "events_failed_total", "Failed attempts to handle an event", ["type"], registry=r)
        self.events_dead_lettered = Counter(
            "events_dead_lettered_total", "Events moved to the dead-letter topic: invalid, failing past "
            "the retry bound, or moved by an admin", ["type", "reason"], registry=r)
        self.consumer_lag = Gauge(
            "consumer_lag", "Messages not yet consumed", ["topic", "partition"], registry=r,
            multiprocess_mode="max")
        self.outbox_failed = Gauge(
            "outbox_failed", "Outbox events that failed too often and hold back their aggregate", registry=r,
            multiprocess_mode="max")
        self.consumer_held = Gauge(
            "consumer_held", "1 while a partition is held by an event whose handler keeps failing",
            ["topic", "partition"], registry=r, multiprocess_mode="max")
        self.restarts = Counter("worker_restarts_total", "Consumers or producers rebuilt after an error",
                                ["component"], registry=r)
        self.outbox_backlog = Gauge(
            "outbox_backlog", "Outbox events not yet published", registry=r, multiprocess_mode="max")

    def exposition(self) -> bytes:
        if self.multiproc_dir:
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)

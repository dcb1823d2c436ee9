"""Scheduled jobs that run in one replica at a time, under a lease kept in MongoDB.

The worker starts each due job on a thread of its own (start_due), so a slow job delays only its own
next run, never the others (a stuck outbound send must not stop `reminders-due`). A job is bounded by
its lease: one still running past it is reported by `overdue`, which the worker's /livez answers 503
for, so the orchestrator restarts a replica whose job hangs.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Any]
    lease_seconds: float = 60.0  # longer than one run can take; a crashed holder frees it after this
    on_tick: bool = True  # False: run by a thread of its own (the outbox relay), or on demand


class JobBusy(RuntimeError):
    """Another replica holds the job's lease."""


class Scheduler:
    def __init__(self, db, clock, jobs: list[Job]):
        self.leases = db.job_leases
        self.clock = clock
        self.jobs = {job.name: job for job in jobs}
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.running: dict[str, float] = {}  # job name -> when its run started here (monotonic), for start_due
        self.threads: dict[str, threading.Thread] = {}  # the run each job started last, for a clean stop
        self._lock = threading.Lock()

    def _acquire(self, job: Job, *, only_if_due: bool) -> bool:
        now = self.clock.now()
        query = {"_id": job.name, "$or": [{"expires_at": {"$lte": now}}, {"owner": self.owner}]}
        if only_if_due:
            query["next_run_at"] = {"$lte": now}
        try:
            lease = self.leases.find_one_and_update(
                query, {"$set": {"owner": self.owner, "expires_at": now + timedelta(seconds=job.lease_seconds)},
                        "$setOnInsert": {"next_run_at": now}},
                upsert=True, return_document=ReturnDocument.AFTER)
            return lease is not None and lease.get("owner") == self.owner
        except DuplicateKeyError:
            return False  # held by another replica, or not due yet

    def _release(self, job: Job) -> None:
        now = self.clock.now()
        self.leases.update_one(
            {"_id": job.name, "owner": self.owner},
            {"$set": {"expires_at": now, "last_run_at": now,
                      "next_run_at": now + timedelta(seconds=job.every_seconds)}})

    def _run(self, job: Job):
        try:
            return job.run()
        finally:
            self._release(job)

    def run_due(self) -> None:
        """Run every job whose time has come and whose lease this replica gets."""
        for job in self.jobs.values():
            if job.on_tick and self._acquire(job, only_if_due=True):
                try:
                    self._run(job)
                except Exception:  # noqa: BLE001 - one failing job must not stop the others
                    log.exception("job %s failed", job.name)

    def start_due(self) -> list[threading.Thread]:
        """Start every due job that is not already running here on a thread of its own; returns them."""
        started = []
        for job in self.jobs.values():
            with self._lock:
                if not job.on_tick or job.name in self.running:
                    continue
                self.running[job.name] = time.monotonic()
            try:
                acquired = self._acquire(job, only_if_due=True)
            except Exception:
                self._done(job.name)
                raise
            if not acquired:
                self._done(job.name)
                continue
            thread = threading.Thread(target=self._run_logged, args=(job,), name=f"job:{job.name}", daemon=True)
            self.threads[job.name] = thread
            thread.start()
            started.append(thread)
        return started

    def _run_logged(self, job: Job) -> None:
        try:
            self._run(job)
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            log.exception("job %s failed", job.name)
        finally:
            self._done(job.name)

    def _done(self, name: str) -> None:
        with self._lock:
            self.running.pop(name, None)

    def overdue(self) -> list[str]:
        """The jobs running here for longer than their lease: a run that long is hung, not slow."""
        now = time.monotonic()
        with self._lock:
            return sorted(name for name, since in self.running.items()
                          if now - since > self.jobs[name].lease_seconds)

    def hold(self, name: str) -> bool:
        """Take or keep a job's lease for a long-running loop (the relay); True while held here."""
        return self._acquire(self.jobs[name], only_if_due=False)

    def let_go(self, name: str) -> None:
        self._release(self.jobs[name])

    def run_now(self, name: str, *, wait_seconds: float = 10.0):
        """Run a job at once (dev and tests), waiting for another replica's run to finish."""
        job = self.jobs[name]
        deadline = time.monotonic() + wait_seconds
        while not self._acquire(job, only_if_due=False):
            if time.monotonic() > deadline:
                raise JobBusy(name)
            time.sleep(0.05)
        return self._run(job)

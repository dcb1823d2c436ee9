"""Scheduled jobs that run in one replica at a time, under a lease kept in MongoDB.

The worker starts each due job on a thread of its own (start_due), so a slow job delays only its own
next run, never the others (a stuck outbound send must not stop `reminders-due`).

Leases and turns are judged by the database's clock (server_time), never a host's: replicas whose
clocks disagree still agree on who holds a job. A long job calls `check()` between its batches: that
renews its lease once a third of it has passed, and stops the job (LeaseLost) before its next write
when another run holds the job now, or when the lease could not be renewed in time. A run that has
not renewed its lease for longer than the lease is hung: `overdue` reports it, which the worker's
/livez answers 503 for, so the orchestrator restarts the replica.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from .mongo import server_time

log = logging.getLogger(__name__)

# A host clock further than this from the database's is logged: the business rules still read it.
SKEW_WARNING_SECONDS = 5.0


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Any]
    lease_seconds: float = 60.0  # over three batches of the job; a crashed holder frees it after this
    on_tick: bool = True  # False: run by a thread of its own (the outbox relay), or on demand


class JobBusy(RuntimeError):
    """Another replica holds the job's lease."""


class LeaseLost(RuntimeError):
    """This run no longer holds the job's lease: the job stops before its next write."""


class Lease:
    """One run's hold on a job, as this replica knows it."""

    def __init__(self, leases, job: Job, run: str, confirmed: float):
        self.leases, self.job, self.run = leases, job, run
        self.confirmed = confirmed  # monotonic time just before the database last granted it
        self.lost = False

    def time_left(self) -> float:
        """Seconds the database surely still counts this run as the holder (its clock may not run slow)."""
        return self.job.lease_seconds - (time.monotonic() - self.confirmed)

    def renew(self) -> bool:
        started = time.monotonic()
        now = server_time(self.leases.database)
        # Only this run's own lease is extended: once another run took it, it never comes back.
        held = self.leases.update_one({"_id": self.job.name, "run": self.run}, {
            "$set": {"expires_at": now + timedelta(seconds=self.job.lease_seconds)}}).matched_count == 1
        if held:
            self.confirmed = started
        else:
            self.lost = True
        return held

    def still_held(self) -> bool:
        """Held with a third of the lease to spare, for the batch that follows."""
        if not self.lost and self.time_left() <= self.job.lease_seconds * 2 / 3:
            try:
                self.renew()
            except PyMongoError as exc:  # judged below by when it was last granted
                log.warning("renewing the lease of %s failed: %r", self.job.name, exc)
        return not self.lost and self.time_left() > self.job.lease_seconds / 3

    def check(self) -> float:
        if not self.still_held():
            raise LeaseLost(f"{self.job.name}: the lease is lost or could not be renewed; another run may hold it")
        return self.time_left()


_current = threading.local()  # the lease of the run going on on this thread


def check() -> float:
    """Called by a long job between batches (and by the relay between waves): raises LeaseLost when
    the run's lease is gone, else returns the seconds it surely holds. Outside a scheduled run (a
    test calling the job itself) there is no lease to lose."""
    lease = getattr(_current, "lease", None)
    return math.inf if lease is None else lease.check()


class Scheduler:
    def __init__(self, db, clock, jobs: list[Job]):
        self.leases = db.job_leases
        self.clock = clock  # the host's: only compared with the database's, which judges leases and turns
        self.jobs = {job.name: job for job in jobs}
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.running: dict[str, float] = {}  # job name -> when its run started here (monotonic), for start_due
        self.threads: dict[str, threading.Thread] = {}  # the run each job started last, for a clean stop
        self.held: dict[str, Lease] = {}  # the leases of the runs going on here
        self._lock = threading.Lock()
        self._skew_logged = False

    def _acquire(self, job: Job, *, only_if_due: bool) -> Lease | None:
        """A new run's lease, when the last one expired or was released (by any replica, this one too)."""
        started = time.monotonic()
        now = server_time(self.leases.database)
        self._log_skew(now)
        run = uuid.uuid4().hex
        query = {"_id": job.name, "expires_at": {"$lte": now}}
        if only_if_due:
            query["next_run_at"] = {"$lte": now}
        try:
            lease = self.leases.find_one_and_update(
                query, {"$set": {"owner": self.owner, "run": run,
                                 "expires_at": now + timedelta(seconds=job.lease_seconds)},
                        "$setOnInsert": {"next_run_at": now}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            return None  # held by another run, or not due yet
        if lease is None or lease.get("run") != run:
            return None
        held = Lease(self.leases, job, run, started)
        with self._lock:
            self.held[job.name] = held
        return held

    def _log_skew(self, db_now) -> None:
        skew = (self.clock.now() - db_now).total_seconds()
        if abs(skew) > SKEW_WARNING_SECONDS and not self._skew_logged:
            self._skew_logged = True
            log.warning("this host's clock is %.1f s off the database's; leases go by the database's", skew)

    def _release(self, job: Job) -> None:
        with self._lock:
            lease = self.held.pop(job.name, None)
        if getattr(_current, "lease", None) is lease:
            _current.lease = None
        if lease is None:
            return
        now = server_time(self.leases.database)
        self.leases.update_one(
            {"_id": job.name, "run": lease.run},
            {"$set": {"expires_at": now, "last_run_at": now,
                      "next_run_at": now + timedelta(seconds=job.every_seconds)}})

    def _run(self, job: Job, lease: Lease):
        _current.lease = lease
        try:
            return job.run()
        except LeaseLost:
            log.warning("job %s stopped before its next write: its lease was lost", job.name)
            raise
        finally:
            self._release(job)

    def run_due(self) -> None:
        """Run every job whose time has come and whose lease this replica gets."""
        for job in self.jobs.values():
            lease = self._acquire(job, only_if_due=True) if job.on_tick else None
            if lease is not None:
                try:
                    self._run(job, lease)
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
                lease = self._acquire(job, only_if_due=True)
            except Exception:
                self._done(job.name)
                raise
            if lease is None:
                self._done(job.name)
                continue
            thread = threading.Thread(target=self._run_logged, args=(job, lease), name=f"job:{job.name}",
                                      daemon=True)
            self.threads[job.name] = thread
            thread.start()
            started.append(thread)
        return started

    def _run_logged(self, job: Job, lease: Lease) -> None:
        try:
            self._run(job, lease)
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            log.exception("job %s failed", job.name)
        finally:
            self._done(job.name)

    def _done(self, name: str) -> None:
        with self._lock:
            self.running.pop(name, None)

    def overdue(self) -> list[str]:
        """The jobs running here whose lease went unrenewed for longer than the lease: hung, not slow."""
        now = time.monotonic()
        with self._lock:
            return sorted(name for name, since in self.running.items()
                          if now - max(since, self.held[name].confirmed if name in self.held else since)
                          > self.jobs[name].lease_seconds)

    def hold(self, name: str) -> bool:
        """Take or keep a job's lease for a long-running loop (the relay) on this thread; True while held."""
        lease = self.held.get(name)
        if lease is None or not (lease.still_held() or lease.renew()):
            lease = self._acquire(self.jobs[name], only_if_due=False)
        _current.lease = lease
        return lease is not None

    def let_go(self, name: str) -> None:
        self._release(self.jobs[name])

    def run_now(self, name: str, *, wait_seconds: float = 10.0):
        """Run a job at once (dev and tests), waiting for a run going on, here or elsewhere, to finish."""
        job = self.jobs[name]
        deadline = time.monotonic() + wait_seconds
        while (lease := self._acquire(job, only_if_due=False)) is None:
            if time.monotonic() > deadline:
                raise JobBusy(name)
            time.sleep(0.05)
        return self._run(job, lease)

"""The one clock every rule reads. In dev and test it can be moved forward.

The offset lives in the service's own database so that its HTTP processes and
its worker all see the same moved time.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Clock:
    """Real time, plus an offset that only dev and test may set."""

    _CACHE_SECONDS = 0.2  # re-read the shared offset at most this often

    def __init__(self, store=None):
        self._store = store  # a MongoDB collection, or None for a fixed zero offset
        self._offset = timedelta(0)
        self._read_at = 0.0

    def now(self) -> datetime:
        return utcnow() + self.offset()

    def offset(self) -> timedelta:
        if self._store is None:
            return self._offset
        if time.monotonic() - self._read_at > self._CACHE_SECONDS:
            doc = self._store.find_one({"_id": "clock"}) or {}
            self._offset = timedelta(seconds=doc.get("offset_seconds", 0))
            self._read_at = time.monotonic()
        return self._offset

    def set_offset(self, offset: timedelta) -> None:
        self._offset = offset
        self._read_at = time.monotonic()
        if self._store is not None:
            self._store.update_one(
                {"_id": "clock"}, {"$set": {"offset_seconds": offset.total_seconds()}}, upsert=True
            )


class FixedClock(Clock):
    """A clock for unit tests: it says what it is told."""

    def __init__(self, at: datetime):
        super().__init__()
        self._at = at

    def now(self) -> datetime:
        return self._at + self._offset

    def advance(self, **delta) -> None:
        self._at += timedelta(**delta)

"""The one clock every rule reads. In dev and test it can be moved forward.

The offset lives in the service's own database so that its HTTP processes and
its worker all see the same moved time.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Clock:
    """Real time, plus an offset that only dev and test may set."""

    def __init__(self, store=None):
        # A MongoDB collection (dev and test only), or None for a fixed zero offset. The offset is
        # read on every call, never cached: a process that served the move and one that did not
        # must agree at once.
        self._store = store
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self.offset()

    def offset(self) -> timedelta:
        if self._store is None:
            return self._offset
        doc = self._store.find_one({"_id": "clock"}) or {}
        return timedelta(seconds=doc.get("offset_seconds", 0))

    def set_offset(self, offset: timedelta) -> None:
        self._offset = offset
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

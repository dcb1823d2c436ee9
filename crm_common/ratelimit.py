"""Fixed-window rate limits counted in MongoDB, so every replica shares one budget.

A process under load does not count each request in MongoDB: it takes a few slots of the
window at once (a lease) and spends them itself, so a busy channel costs one counter write per
lease instead of one per request. The lease grows with the requests this process saw in the
last second, and is at most LEASE_SHARE of the limit and MAX_LEASE slots: a subject with a
limit under 1/LEASE_SHARE a minute, or sending one request at a time, is counted exactly. The
price: slots a process leased and did not spend before the minute ended count as used, so a
replica set can refuse at most (MAX_LEASE or LEASE_SHARE of the limit) per process early;
it never lets more than the limit through.
"""
from __future__ import annotations

import math
import threading
from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .errors import Problem

LEASE_SHARE = 0.05
MAX_LEASE = 50
FORGET_AFTER = 4096  # subjects held before the stale ones are dropped (login limits key on addresses)


class _Leases:
    """This process's unspent slots and recent pace, per subject and window."""

    def __init__(self):
        self.lock = threading.Lock()
        self.slots: dict[str, tuple[int, int, int]] = {}  # subject -> (window, limit, unspent slots)
        self.pace: dict[str, tuple[int, int, int]] = {}  # subject -> (second, requests in it, in the one before)

    def spend(self, subject: str, window: int, limit: int, cost: int) -> bool:
        """Spend leased slots, if this window's lease under this limit (a changed limit leases anew) has them."""
        with self.lock:
            held_window, held_limit, unspent = self.slots.get(subject, (None, None, 0))
            if (held_window, held_limit) == (window, limit) and unspent >= cost:
                self.slots[subject] = (window, limit, unspent - cost)
                return True
            return False

    def seen(self, subject: str, second: int) -> int:
        """Count a request of `subject`; -> the most requests seen in this second (this one included) or the last."""
        with self.lock:
            if len(self.pace) > FORGET_AFTER:
                self.pace = {k: v for k, v in self.pace.items() if second - v[0] <= 1}
                self.slots = {k: v for k, v in self.slots.items() if v[0] >= second // 60}
            last, count, before = self.pace.get(subject, (second, 0, 0))
            if second != last:
                count, before = 0, (count if second - last == 1 else 0)
            self.pace[subject] = (second, count + 1, before)
            return max(count + 1, before)

    def keep(self, subject: str, window: int, limit: int, unspent: int) -> None:
        with self.lock:
            self.slots[subject] = (window, limit, unspent)


_LEASES = _Leases()


def forget() -> None:
    """Drop this process's leased slots (a test that wiped the counters starts afresh)."""
    global _LEASES
    _LEASES = _Leases()


def check(rt, subject: str, limit_per_minute: int, cost: int = 1) -> None:
    """Count `cost` requests of `subject` (a batch counts its rows); past the limit answer 429 with Retry-After."""
    now = rt.clock.now()
    window = int(now.timestamp() // 60)
    pace = _LEASES.seen(subject, int(now.timestamp()))
    if _LEASES.spend(subject, window, limit_per_minute, cost):
        return
    extra = min(int(limit_per_minute * LEASE_SHARE), MAX_LEASE, pace - 1)
    taking = cost + max(0, extra)
    counter = None
    for _ in range(5):  # two first requests of a window race to create its counter; the loser counts again
        try:
            counter = rt.db.rate_windows.find_one_and_update(
                {"_id": f"{subject}:{window}"},
                {"$inc": {"count": taking}, "$setOnInsert": {"expires_at": now + timedelta(minutes=2)}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            continue
        if counter is not None:
            break
    if counter is None:
        return  # the counter could not be written: let the request through rather than refuse it
    granted = max(0, min(taking, limit_per_minute - (counter["count"] - taking)))
    if granted < cost:
        retry_after = max(1, math.ceil((window + 1) * 60 - now.timestamp()))
        raise Problem(429, f"more than {limit_per_minute} requests a minute", headers={"Retry-After": str(retry_after)})
    if granted > cost:
        _LEASES.keep(subject, window, limit_per_minute, granted - cost)

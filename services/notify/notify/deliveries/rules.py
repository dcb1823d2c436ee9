"""When a failed delivery goes again (DOMAIN §4: retried with backoff, then parked and visible), and
which an admin may send again. Pure."""
from __future__ import annotations

from datetime import timedelta

RETRYABLE = ["parked", "failed"]  # an admin may send these again


def retry_after(attempts: int, schedule: list[int]) -> timedelta | None:
    """The wait before the next attempt of a delivery whose `attempts`-th attempt just failed: the
    schedule's `attempts`-th step (seconds); None once the schedule is used up (the delivery is parked)."""
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1])

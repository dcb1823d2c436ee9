"""Fixed-window rate limits counted in MongoDB, so every replica shares one budget."""
from __future__ import annotations

import math
from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .errors import Problem


def check(rt, subject: str, limit_per_minute: int, cost: int = 1) -> None:
    """Count `cost` requests of `subject` (a batch counts its rows); past the limit answer 429 with Retry-After."""
    now = rt.clock.now()
    window = int(now.timestamp() // 60)
    counter = None
    for _ in range(5):  # two first requests of a window race to create its counter; the loser counts again
        try:
            counter = rt.db.rate_windows.find_one_and_update(
                {"_id": f"{subject}:{window}"},
                {"$inc": {"count": cost}, "$setOnInsert": {"expires_at": now + timedelta(minutes=2)}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            continue
        if counter is not None:
            break
    if counter is not None and counter["count"] > limit_per_minute:
        retry_after = max(1, math.ceil((window + 1) * 60 - now.timestamp()))
        raise Problem(429, f"more than {limit_per_minute} requests a minute", headers={"Retry-After": str(retry_after)})

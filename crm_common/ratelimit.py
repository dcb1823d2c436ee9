"""Fixed-window rate limits counted in MongoDB, so every replica shares one budget."""
from __future__ import annotations

import math
from datetime import timedelta

from pymongo import ReturnDocument

from .errors import Problem


def check(rt, subject: str, limit_per_minute: int) -> None:
    """Count one request of `subject`; past the limit answer 429 with Retry-After."""
    now = rt.clock.now()
    window = int(now.timestamp() // 60)
    counter = rt.db.rate_windows.find_one_and_update(
        {"_id": f"{subject}:{window}"},
        {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": now + timedelta(minutes=2)}},
        upsert=True, return_document=ReturnDocument.AFTER)
    if counter["count"] > limit_per_minute:
        retry_after = max(1, math.ceil((window + 1) * 60 - now.timestamp()))
        raise Problem(429, f"more than {limit_per_minute} requests a minute", headers={"Retry-After": str(retry_after)})

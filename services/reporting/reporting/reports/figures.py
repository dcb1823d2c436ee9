"""How the reports round and sum their figures: rates to 4 places, days to 2, null when nothing was counted."""
from __future__ import annotations

from collections import defaultdict


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def avg_days(secs: int, n: int) -> float | None:
    return round(secs / n / 86400, 2) if n else None


def by_key(found: list[dict], index: int = 0) -> dict:
    """Rows summed by one part of their key (e.g. the stage): key -> {n, amount, secs}."""
    out = defaultdict(lambda: {"n": 0, "amount": 0, "secs": 0})
    for row in found:
        cell = out[row["k"][index]]
        for f in ("n", "amount", "secs"):
            cell[f] += row[f]
    return out

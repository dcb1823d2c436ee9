"""How the reports round and sum their figures: rates to 4 places, days to 2, null when nothing was counted."""
from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode


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


OPPORTUNITIES = "/v1/opportunities"  # the customer service's list of deals, which takes these filters


def listing(**filters) -> str:
    """The query of the customer service that lists the opportunities a report row counts (drill-down)."""
    shown = {k: v for k, v in filters.items() if v is not None}
    return f"{OPPORTUNITIES}?{urlencode(shown)}" if shown else OPPORTUNITIES


def scope_filters(view) -> dict:
    """The report's owner and department filters, as the opportunity list names them."""
    return {"owner_id": view.owner_id, "department_id": view.department_id}

"""Forecast (DOMAIN §5): the expected amount of open deals by expected signing month (their close date,
else their 定量 date), and that amount weighted by each deal's win chance (DOMAIN §2: the probability an
admin set on its stage, else contract signed's expected rate over its stage's); `slippage` counts the
deals whose expected signing date moved later, and by how many days."""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from crm_common.kernel.money import yuan

from ..model.stages import win_chance


def forecast(found: list[dict], slips: list[dict], pipelines: list[dict], *, start: str | None = None,
             end: str | None = None) -> dict:
    """From the rows by (month, stage) of the open deals' expected amounts, the rows by days slipped,
    and the pipelines; months outside the period from `start` to `end` (local days) are left out."""
    months: dict = defaultdict(lambda: {"count": 0, "expected": 0, "weighted": Decimal(0)})
    for row in found:
        month, stage, *pipeline = row["k"]  # tallies of before opportunities name no pipeline
        if (start and month < start[:7]) or (end and month > end[:7]):
            continue
        cell = months[month]
        cell["count"] += row["n"]
        cell["expected"] += row["amount"]
        cell["weighted"] += row["amount"] * win_chance(pipelines, (pipeline or [None])[0], stage)
    slipped_days = [(row["k"][0], row["n"]) for row in slips]
    slipped = sum(n for _, n in slipped_days)
    total = sum(d * n for d, n in slipped_days)
    return {"months": [{"month": m, "count": c["count"], "expected_amount": yuan(c["expected"]),
                        "weighted_amount": yuan(int(c["weighted"].to_integral_value(ROUND_HALF_UP)))}
                       for m, c in sorted(months.items())],
            "slippage": {"count": slipped, "total_days": total,
                         "avg_days": round(total / slipped, 2) if slipped else None,
                         "max_days": max((d for d, _ in slipped_days), default=None)}}

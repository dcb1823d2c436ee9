"""Sales cycle (DOMAIN §5): from the source lead's arrival (or the customer's creation) to the win, in
days, by grade and by industry."""
from __future__ import annotations

import statistics
from collections import defaultdict


def sales_cycle(found: list[dict]) -> dict:
    """From the rows of the `cycle` tallies, keyed (grade, industry, days)."""
    def summary(index: int, name: str) -> list[dict]:
        days: dict = defaultdict(list)
        for row in found:
            days[row["k"][index]].extend([row["k"][2]] * row["n"])
        return [{name: key, "count": len(v), "median_days": statistics.median(v),
                 "mean_days": round(statistics.fmean(v), 2)} for key, v in sorted(days.items(), key=lambda kv: str(kv[0]))]
    return {"by_grade": summary(0, "grade"), "by_industry": summary(1, "industry")}

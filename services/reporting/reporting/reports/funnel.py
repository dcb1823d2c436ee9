"""Funnel (DOMAIN §5): opportunities per stage and conversion between stages, against the expected rates.

`entered` counts entries into a stage in the period, `advanced` those of them that later moved to a
later stage (not to lost), `conversion_rate` = advanced / entered; `avg_days` is the stay of the
stages left in the period. Stages come in the pipelines' order, then any other stage counted.
"""
from __future__ import annotations

from ..model.stages import expectations
from .figures import avg_days, by_key, ratio


def funnel(count: list[dict], entered: list[dict], advanced: list[dict], stay: list[dict],
           pipelines: list[dict]) -> dict:
    """From the tally rows by stage of: the customers in each stage now, the entries into each stage,
    those entries that advanced, and the stays that ended; and the pipelines as the admins set them."""
    count, entered = by_key(count), by_key(entered)
    moved, stay = by_key(advanced), by_key(stay)
    order, expected = expectations(pipelines)
    custom = sorted((set(count) | set(entered)) - set(order))
    stages = []
    for stage in order + custom:
        days, rate = expected.get(stage, (None, None))
        stages.append({
            "stage": stage, "count": count[stage]["n"], "entered": entered[stage]["n"],
            "advanced": moved[stage]["n"], "conversion_rate": ratio(moved[stage]["n"], entered[stage]["n"]),
            "expected_rate": float(rate) if rate else None,
            "avg_days": avg_days(stay[stage]["secs"], stay[stage]["n"]),
            "expected_days": list(days) if days else None})
    return {"stages": stages}

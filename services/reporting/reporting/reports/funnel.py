"""Funnel, per rep, going cold and forecast: DOMAIN §5, from the tallies."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..model.days import EXPECTED, STAGES, yuan
from .query import View, rows

WEEKLY_DAYS = 28  # the window of followups_per_week when the report names no `from`
COLD_BUCKETS = ("0-7", "8-15", "16-30", "31-90", "91-180", ">180", "never")


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def avg_days(secs: int, n: int) -> float | None:
    return round(secs / n / 86400, 2) if n else None


def by_key(found: list[dict], index: int = 0) -> dict:
    out = defaultdict(lambda: {"n": 0, "amount": 0, "secs": 0})
    for row in found:
        cell = out[row["k"][index]]
        for f in ("n", "amount", "secs"):
            cell[f] += row[f]
    return out


def expectations(models) -> tuple[list[str], dict]:
    """(stages in order, stage -> (expected days, expected rate)): DOMAIN's default pipeline as the admins
    have since set it (crm.pipeline.changed), then the other pipelines' stages; where pipelines share a
    stage key, the default pipeline's expectations, then the first pipeline's by id."""
    pipelines = {p["_id"]: p for p in models.pipelines.find()}
    default = pipelines.pop("default", None)
    order, expected = ([], {}) if default else (list(STAGES), dict(EXPECTED))
    for pipeline in ([default] if default else []) + [pipelines[k] for k in sorted(pipelines)]:
        for stage in pipeline["stages"]:
            order.append(stage["key"])
            rate = stage.get("expected_rate")
            expected.setdefault(stage["key"], (stage.get("expected_days"), None if rate is None else str(rate)))
    return list(dict.fromkeys(order)), expected


def funnel(models, view: View) -> dict:
    count, entered = by_key(rows(models, view, "stage")), by_key(rows(models, view, "entered", flow=True))
    moved, stay = by_key(rows(models, view, "advanced", flow=True)), by_key(rows(models, view, "stay", flow=True))
    order, expected = expectations(models)
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


def reps(models, view: View) -> dict:
    def per_owner(kind, flow=True, by=("owner_id",), in_view=view):
        return [r for r in rows(models, in_view, kind, by=by, flow=flow) if r.get("owner_id")]
    items: dict = defaultdict(lambda: {"new_customers": 0, "won": 0, "won_amount": 0, "followups": 0,
                                       "overdue_reminders": 0, "held": 0, "avg_days": {},
                                       "reminders_sent": 0, "reminders_failed": 0})
    for row in per_owner("new"):
        items[row["owner_id"]]["new_customers"] += row["n"]
    for row in per_owner("won"):
        items[row["owner_id"]]["won"] += row["n"]
        items[row["owner_id"]]["won_amount"] += row["amount"]
    for row in per_owner("fu"):
        items[row["owner_id"]]["followups"] += row["n"]
    for row in per_owner("stage", flow=False):
        items[row["owner_id"]]["held"] += row["n"]
    for row in per_owner("due", flow=False, by=("owner_id", "day")):
        if row["day"] < view.today.isoformat():
            items[row["owner_id"]]["overdue_reminders"] += row["n"]
    for row in per_owner("delivery", by=("owner_id", "k")):  # notifications to the rep, by outcome
        items[row["owner_id"]]["reminders_" + row["k"][0]] += row["n"]
    for row in per_owner("stay", by=("owner_id", "k")):
        items[row["owner_id"]]["avg_days"][row["k"][0]] = avg_days(row["secs"], row["n"])
    # the weekly rate over the period, or without a `from` over the 4 weeks up to `to` (or today): all
    # follow-ups ever over 4 weeks would make a long-serving rep look busy
    weekly = view if view.start else replace(view, start=(
        (date.fromisoformat(view.end) if view.end else view.today) - timedelta(days=WEEKLY_DAYS - 1)).isoformat())
    recent: dict = defaultdict(int)
    for row in per_owner("fu", in_view=weekly):
        recent[row["owner_id"]] += row["n"]
    weeks = Decimal(weekly.period_days) / 7
    names = usernames(models, items)
    out = [{"user_id": owner, "username": names.get(owner, owner), **cell, "won_amount": yuan(cell["won_amount"]),
            "followups_per_week": float((recent[owner] / weeks).quantize(Decimal("0.01"), ROUND_HALF_UP))}
           for owner, cell in items.items()]
    return {"items": sorted(out, key=lambda i: (i["username"], i["user_id"]))}


def usernames(models, user_ids) -> dict:
    return {u["_id"]: u["username"] for u in models.users.find({"_id": {"$in": list(user_ids)}})}


def going_cold(models, view: View) -> dict:
    counts: dict = defaultdict(lambda: [0] * len(COLD_BUCKETS))
    for row in rows(models, view, "cold", by=("owner_id", "day")):
        if row.get("owner_id"):
            counts[row["owner_id"]][_bucket(view.today, row["day"])] += row["n"]
    for row in rows(models, view, "never", by=("owner_id",)):
        if row.get("owner_id"):
            counts[row["owner_id"]][-1] += row["n"]
    names = usernames(models, counts)
    out = [{"user_id": u, "username": names.get(u, u), "counts": c} for u, c in counts.items()]
    return {"buckets": list(COLD_BUCKETS), "rows": sorted(out, key=lambda r: (r["username"], r["user_id"]))}


def _bucket(today: date, last_day: str) -> int:
    days = (today - date.fromisoformat(last_day)).days
    for index, upper in enumerate((7, 15, 30, 90, 180)):
        if days <= upper:
            return index
    return 5


def forecast(models, view: View) -> dict:
    months: dict = defaultdict(lambda: {"count": 0, "expected": 0, "weighted": Decimal(0)})
    expected = expectations(models)[1]
    for row in rows(models, view, "forecast", by=("k",)):
        month, stage = row["k"]
        if (view.start and month < view.start[:7]) or (view.end and month > view.end[:7]):
            continue
        cell = months[month]
        cell["count"] += row["n"]
        cell["expected"] += row["amount"]
        cell["weighted"] += row["amount"] * Decimal(expected.get(stage, (None, None))[1] or "0")
    slips = [(row["k"][0], row["n"]) for row in rows(models, view, "slip")]
    slipped = sum(n for _, n in slips)
    return {"months": [{"month": m, "count": c["count"], "expected_amount": yuan(c["expected"]),
                        "weighted_amount": yuan(int(c["weighted"].to_integral_value(ROUND_HALF_UP)))}
                       for m, c in sorted(months.items())],
            "slippage": {"count": slipped, "total_days": sum(d * n for d, n in slips),
                         "avg_days": round(sum(d * n for d, n in slips) / slipped, 2) if slipped else None,
                         "max_days": max((d for d, _ in slips), default=None)}}

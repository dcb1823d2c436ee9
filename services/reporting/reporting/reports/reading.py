"""What each report reads from the read models, handed to its pure computation."""
from __future__ import annotations

from datetime import date, datetime

from crm_common.kernel.scope import customer_scope

from . import channels as channels_report
from . import forecast as forecast_report
from . import funnel as funnel_report
from . import going_cold as going_cold_report
from . import pool as pool_report
from . import reps as reps_report
from . import rfm as rfm_report
from . import sales_cycle as sales_cycle_report
from .query import View, owners, rows, usernames


def funnel(models, view: View) -> dict:
    return funnel_report.funnel(rows(models, view, "stage"), rows(models, view, "entered", flow=True),
                                rows(models, view, "advanced", flow=True), rows(models, view, "stay", flow=True),
                                list(models.pipelines.find()))


def reps(models, view: View) -> dict:
    by = {"due": ("owner_id", "day"), "topen": ("owner_id", "day"), "delivery": ("owner_id", "k"),
          "stay": ("owner_id", "k")}
    found = {kind: rows(models, view, kind, by=by.get(kind, ("owner_id",)), flow=kind not in reps_report.STATES)
             for kind in reps_report.KINDS}
    weekly = reps_report.weekly_period(view)
    recent = rows(models, weekly, "fu", by=("owner_id",), flow=True)
    return reps_report.reps(found, recent, today=view.today, weekly_days=weekly.period_days,
                            names=usernames(models, owners(*found.values())), late_today=_late_today(models, view,
                                                                                                   found["topen"]))


def _late_today(models, view: View, open_rows: list[dict]) -> dict:
    """Per rep with open tasks due today: those due before now (one indexed count each)."""
    start = datetime.combine(view.today, datetime.min.time(), view.tz)
    return {row["owner_id"]: models.others.count_documents(
        {"owner_id": row["owner_id"], "open_due": {"$gte": start, "$lt": view.now}})
        for row in open_rows if row.get("owner_id") and row["day"] == view.today.isoformat()}


def going_cold(models, view: View) -> dict:
    cold, never = rows(models, view, "cold", by=("owner_id", "day")), rows(models, view, "never", by=("owner_id",))
    return going_cold_report.going_cold(cold, never, today=view.today, names=usernames(models, owners(cold, never)))


def forecast(models, view: View) -> dict:
    return forecast_report.forecast(rows(models, view, "forecast", by=("k",)), rows(models, view, "slip"),
                                    list(models.pipelines.find()), start=view.start, end=view.end)


def channels(models, view: View) -> dict:
    return channels_report.channels({kind: rows(models, view, kind, by=("channel", "campaign"), flow=True)
                                     for kind, _ in channels_report.COLUMNS})


def sales_cycle(models, view: View) -> dict:
    return sales_cycle_report.sales_cycle(rows(models, view, "cycle", by=("k",), flow=True))


def rfm(models, view: View, only: str | None = None, thresholds: dict | None = None) -> dict:
    """The customers in scope who paid (a sparse index holds only those), by owner and department."""
    conditions = [{"paid": True}, customer_scope(view.principal)]
    for name, field in (("owner_id", "owner_id"), ("department_id", "department_path")):
        if getattr(view, name):
            conditions.append({field: getattr(view, name)})
    paid = models.customers.find({"$and": conditions}, {"contrib": 0, "moves": 0, "followups": 0})
    return rfm_report.rfm(list(paid), date.fromisoformat(view.end) if view.end else view.today, start=view.start,
                          channel=view.channel, campaign=view.campaign, only=only,
                          thresholds=thresholds)


def pool(models, view: View) -> dict:
    found = rows(models, view, "pool", by=("k", "owner_id"), flow=True)
    pool_ids = [p for p in dict.fromkeys(row["k"][1] for row in found) if p]
    pool_names = {p["_id"]: p["name"] for p in models.pools.find({"_id": {"$in": pool_ids}})}
    return pool_report.pool(found, names=usernames(models, owners(found)), pool_names=pool_names)

"""The reports' HTTP API: JSON by default, CSV with ?format=csv or Accept: text/csv."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import marshmallow as ma
from flask import g, jsonify, request

from crm_common import csvio
from crm_common.auth import require_user
from crm_common.web import Blueprint, answers, runtime

from ..model import store
from ..model.days import timezone_of
from ..model.stages import closing_status
from . import reading, rfm_settings, schemas
from .figures import listing, scope_filters
from .query import view_from

EARLIEST, LATEST = date(1970, 1, 1), date(9000, 12, 31)

blp = Blueprint("reports", __name__, url_prefix="/v1/reports", description="Reports within the caller's scope")


class Filters(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE
    # Periods hold business days: far enough either way for any CRM, and clear of the calendar's
    # ends, where a week counted back from `to=0001-01-01` answered 500.
    from_ = ma.fields.Date(data_key="from", validate=ma.validate.Range(min=EARLIEST, max=LATEST),
                           metadata={"description": "first day of the period (local, inclusive)"})
    to = ma.fields.Date(validate=ma.validate.Range(min=EARLIEST, max=LATEST),
                        metadata={"description": "last day of the period (local, inclusive)"})
    department_id = ma.fields.String()
    owner_id = ma.fields.String()
    channel = ma.fields.String()
    campaign = ma.fields.String()
    segment = ma.fields.String(metadata={"description": "RFM only: list the customers of this segment"})
    format = ma.fields.String(validate=ma.validate.OneOf(["json", "csv"]))


def _flat(row: dict) -> dict:
    return {k: ";".join(f"{s}:{d}" for s, d in v.items()) if isinstance(v, dict) else v for k, v in row.items()}


# Report -> (the list a CSV holds, how to turn a JSON answer into CSV rows)
TABLES = {
    "funnel": lambda body: body["stages"],
    "reps": lambda body: [_flat(i) for i in body["items"]],
    "going-cold": lambda body: [{"user_id": r["user_id"], "username": r["username"],
                                 **dict(zip(body["buckets"], r["counts"]))} for r in body["rows"]],
    "channels": lambda body: body["items"],
    "sales-cycle": lambda body: ([{"by": "grade", "key": i["grade"], **i} for i in body["by_grade"]]
                                 + [{"by": "industry", "key": i["industry"], **i} for i in body["by_industry"]]),
    "rfm": lambda body: body.get("items", body.get("segments")),
    "pool": lambda body: ([{"by": "pool", "key": p["pool_id"], **p} for p in body["pools"]]
                          + [{"by": "rep", "key": r["user_id"], **r} for r in body["reps"]]),
    "forecast": lambda body: body["months"],
}
REPORTS = {
    "funnel": reading.funnel, "reps": reading.reps, "going-cold": reading.going_cold, "forecast": reading.forecast,
    "channels": reading.channels, "sales-cycle": reading.sales_cycle, "pool": reading.pool,
    "rfm": lambda models, view: reading.rfm(models, view, request.args.get("segment") or None,
                                            rfm_settings.thresholds(runtime())),
}


def wants_csv() -> bool:
    if request.args.get("format"):
        return request.args["format"] == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


def _drilled(name: str, body: dict, view, models) -> dict:
    """Each row of the funnel, forecast and per-rep reports names the customer service's query listing its
    opportunities (`opportunities`; a rep's won deals of the period too: `won_opportunities`)."""
    scope = scope_filters(view)
    if name == "funnel":
        pipelines = list(models.pipelines.find())
        for row in body["stages"]:
            row["opportunities"] = listing(stage=row["stage"], status=closing_status(pipelines, row["stage"]),
                                           **scope)
    elif name == "forecast":
        for row in body["months"]:
            first = date.fromisoformat(row["month"] + "-01")
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            row["opportunities"] = listing(status="open", close_from=first.isoformat(), close_to=last.isoformat(),
                                           **scope)
    elif name == "reps":
        period = {"closed_after": view.start and _local_start(view, view.start),
                  "closed_before": view.end and _local_start(view, view.end, 1)}
        for row in body["items"]:
            mine = {**scope, "owner_id": row["user_id"]}
            row["opportunities"] = listing(status="open", **mine)
            row["won_opportunities"] = listing(status="won", **mine, **period)
    return body


def _local_start(view, day: str, days_after: int = 0) -> str:
    """The start of a local report day (or of the day `days_after` it), as an instant with its offset."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=days_after), time.min, view.tz).isoformat()


def answer(name: str):
    rt = runtime()
    models = store.live(rt.db)
    view = view_from(g.principal, rt.clock.now(), request.args, timezone_of(rt.settings))
    body = _drilled(name, REPORTS[name](models, view), view, models)
    if not wants_csv():
        return jsonify(body)
    rows = TABLES[name](body)
    columns = list(dict.fromkeys(k for row in rows for k in row)) if rows else ["empty"]
    return csvio.download(rows, columns, f"{name}.csv")


def _route(name: str):
    def view(**_filters):
        return answer(name)
    view.__name__ = "report_" + name.replace("-", "_")
    view.__doc__ = f"The {name.replace('-', ' ')} report, scoped to the caller; JSON or CSV."
    documented = blp.doc(**answers(200, schemas.REPORTS[name], "application/json", "text/csv"))(view)
    blp.route(f"/{name}", methods=["GET"])(blp.arguments(Filters, location="query", as_kwargs=True)(
        require_user()(documented)))


for _name in REPORTS:
    _route(_name)


BLUEPRINTS = [blp]

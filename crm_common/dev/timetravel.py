"""Time travel and on-demand jobs. Registered only when CRM_ENV is dev or test."""
from __future__ import annotations

from datetime import timedelta

import marshmallow as ma

from ..auth import require_user
from ..errors import Problem
from ..scheduler import JobBusy
from ..web import Blueprint, runtime

blp = Blueprint("dev", __name__, url_prefix="/v1/dev", description="Dev and test only: move time, run jobs")


class ClockIn(ma.Schema):
    offset_days = ma.fields.Float(required=True, validate=ma.validate.Range(min=0, max=3650))


class ClockOut(ma.Schema):
    offset_days = ma.fields.Float()
    now = ma.fields.DateTime()


class JobRunOut(ma.Schema):
    job = ma.fields.String()
    result = ma.fields.Raw(allow_none=True)


@blp.route("/clock", methods=["GET"])
@require_user("admin")
@blp.response(200, ClockOut)
def read_clock():
    clock = runtime().clock
    return {"offset_days": clock.offset().total_seconds() / 86400, "now": clock.now()}


@blp.route("/clock", methods=["POST"])
@require_user("admin")
@blp.arguments(ClockIn)
@blp.response(200, ClockOut)
def move_clock(body):
    """Set this service's clock to real time plus `offset_days`."""
    clock = runtime().clock
    clock.set_offset(timedelta(days=body["offset_days"]))
    return {"offset_days": body["offset_days"], "now": clock.now()}


@blp.route("/jobs/<name>/run", methods=["POST"])
@require_user("admin")
@blp.response(200, JobRunOut)
def run_job(name):
    scheduler = runtime().scheduler
    if name not in scheduler.jobs:
        raise Problem(404, f"no job named {name!r}; jobs: {', '.join(sorted(scheduler.jobs))}")
    try:
        result = scheduler.run_now(name)
    except JobBusy as exc:
        raise Problem(409, f"job {name} is running in another replica; try again") from exc
    return {"job": name, "result": result}

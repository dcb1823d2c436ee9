"""GET /v1/workbench: the first screen a rep opens (a manager may open a rep's in their scope)."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, jsonify

from crm_common.auth import require_user
from crm_common.kernel.refusals import Invalid
from crm_common.web import Blueprint, answers, runtime

from ..model import store
from ..model.days import timezone_of
from . import rules
from .lists import lists
from .schemas import WorkbenchOut, WorkbenchQuery

blp = Blueprint("workbench", __name__, url_prefix="/v1", description="The rep's first screen")


@blp.route("/workbench", methods=["GET"])
@require_user()
@blp.arguments(WorkbenchQuery, location="query", as_kwargs=True)
@blp.doc(**answers(200, WorkbenchOut))
def get_workbench(owner_id=None, tz=None, stalled_days=None):
    """today, overdue, stalled_high_intent and pinned for the caller (a manager may pass owner_id in scope)."""
    rt, me = runtime(), g.principal
    models = store.live(rt.db)
    owner_id = owner_id or me.user_id
    if owner_id != me.user_id and not me.is_admin:
        rules.check_scope(me, models.users.find_one({"_id": owner_id}))
    days_tz = timezone_of(rt.settings)
    try:
        zone = ZoneInfo(tz) if tz else days_tz
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("unknown time zone", errors=[{"field": "tz", "message": "an IANA name, e.g. Asia/Shanghai"}])
    if stalled_days is None:
        stalled_days = rt.settings.value("REPORTING_STALLED_DAYS", rules.DEFAULT_STALLED_DAYS, int)
    limit = rt.settings.value("REPORTING_WORKBENCH_LIMIT", rules.DEFAULT_LIMIT, int)
    return jsonify({"owner_id": owner_id, **lists(models, owner_id, rt.clock.now(), zone, stalled_days, limit, days_tz)})

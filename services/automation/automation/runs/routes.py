"""The run log, for admins: runs listed by rule, record and status (kept 90 days); a failed run retried."""
from __future__ import annotations

from crm_common.auth import require_user
from crm_common.paging import page, page_schema
from crm_common.web import Blueprint, runtime

from . import firing
from . import log as runs
from .schemas import RunArgs, RunOut

blp = Blueprint("runs", __name__, url_prefix="/v1/runs", description="Each rule run: why it fired or not, what it asked")


@blp.route("", methods=["GET"])
@require_user("admin")
@blp.arguments(RunArgs, location="query")
@blp.response(200, page_schema(RunOut, "RunPage"))
def list_runs(args):
    query = {k: args[k] for k in ("rule_id", "record_id", "status") if args[k]}
    found = page(runtime().db[runs.RUNS], query, limit=args["limit"], cursor=args["cursor"])
    return {**found, "items": [runs.view(r) for r in found["items"]]}


@blp.route("/<run_id>", methods=["GET"])
@require_user("admin")
@blp.response(200, RunOut)
def get_run(run_id):
    return runs.view(runs.get(runtime().db, run_id))


@blp.route("/<run_id>:retry", methods=["POST"])
@require_user("admin")
@blp.response(200, RunOut)
def retry_run(run_id):
    """Ask again for the steps of a failed run that were not asked for, from its record as it is now."""
    return runs.view(firing.retry(runtime(), run_id))

"""POST /v1/reports:rebuild (admin): rebuild the read models from the first event; GET: how it goes."""
from flask import g, jsonify

from crm_common.auth import require_user
from crm_common.web import Blueprint, answers, runtime

from . import jobs
from .schemas import Rebuild

blp = Blueprint("rebuild", __name__, url_prefix="/v1", description="Rebuild the read models from the event log")


@blp.route("/reports:rebuild", methods=["POST"])
@require_user("admin")
@blp.doc(**answers(202, Rebuild, description="Queued"))
def request_rebuild():
    """Queue a rebuild for the worker (asking again while one is queued or running changes nothing): 202."""
    return jsonify(jobs.request(runtime(), g.principal.user_id)), 202


@blp.route("/reports:rebuild", methods=["GET"])
@require_user("admin")
@blp.doc(**answers(200, Rebuild))
def rebuild_status():
    """The last rebuild: pending, running, done or failed, with the live version of the read models."""
    return jsonify(jobs.status(runtime()))

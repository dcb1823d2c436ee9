"""The reporting service's HTTP API."""
import marshmallow as ma
from flask import g

from crm_common.auth import customer_scope, require_user
from crm_common.web import Blueprint, runtime

from . import funnel

blp = Blueprint("reports", __name__, url_prefix="/v1/reports", description="Reports within the caller's scope")


class StageCount(ma.Schema):
    stage = ma.fields.String()
    count = ma.fields.Integer()


class FunnelOut(ma.Schema):
    stages = ma.fields.List(ma.fields.Nested(StageCount))


@blp.route("/funnel", methods=["GET"])
@require_user()
@blp.response(200, FunnelOut)
def get_funnel():
    return {"stages": funnel.funnel(runtime().db, customer_scope(g.principal))}

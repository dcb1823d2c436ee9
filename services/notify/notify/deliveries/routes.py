"""The admin's view of outbound deliveries, and a retry of a parked or failed one."""
from crm_common.auth import require_user
from crm_common.paging import page, page_schema
from crm_common.web import runtime

from ..api import admin as blp
from . import outbound
from .schemas import DeliveryOut, DeliveryQuery


@blp.route("/deliveries", methods=["GET"])
@require_user("admin")
@blp.arguments(DeliveryQuery, location="query")
@blp.response(200, page_schema(DeliveryOut, "DeliveryPage"))
def list_deliveries(args):
    query = {k: args[k] for k in ("status", "channel") if args.get(k)}
    return page(runtime().db.deliveries, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/deliveries/<delivery_id>/retry", methods=["POST"])
@require_user("admin")
@blp.response(200, DeliveryOut)
def retry_delivery(delivery_id):
    return outbound.retry(runtime(), delivery_id)

"""The notify service's HTTP API: the caller's inbox."""
import marshmallow as ma
from flask import g

from crm_common.auth import require_user
from crm_common.errors import Problem
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import Blueprint, runtime

blp = Blueprint("inbox", __name__, url_prefix="/v1/inbox", description="The caller's in-app notifications")


class ItemOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    kind = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    customer_id = ma.fields.String(allow_none=True)
    lead_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class InboxQuery(PageArgs):
    unread = ma.fields.Boolean()


@blp.route("", methods=["GET"])
@require_user()
@blp.arguments(InboxQuery, location="query")
@blp.response(200, page_schema(ItemOut, "InboxPage"))
def list_inbox(args):
    query = {"user_id": g.principal.user_id}
    if args.get("unread"):
        query["read_at"] = None
    return page(runtime().db.inbox, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/<item_id>/read", methods=["POST"])
@require_user()
@blp.response(200, ItemOut)
def mark_read(item_id):
    rt = runtime()
    rt.db.inbox.update_one({"_id": item_id, "user_id": g.principal.user_id, "read_at": None},
                           {"$set": {"read_at": rt.clock.now()}})
    item = rt.db.inbox.find_one({"_id": item_id, "user_id": g.principal.user_id})
    if item is None:
        raise Problem(404, "no such inbox item")
    return item

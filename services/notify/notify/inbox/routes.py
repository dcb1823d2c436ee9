"""The caller's own inbox: list it, count the unread, mark an item read."""
from flask import g

from crm_common.auth import require_user
from crm_common.kernel.refusals import NotFound
from crm_common.paging import page, page_schema
from crm_common.web import runtime

from ..api import inbox as blp
from .schemas import CountOut, InboxQuery, ItemOut


@blp.route("/inbox", methods=["GET"])
@require_user()
@blp.arguments(InboxQuery, location="query")
@blp.response(200, page_schema(ItemOut, "InboxPage"))
def list_inbox(args):
    query = {"user_id": g.principal.user_id}
    if args.get("unread"):
        query["read_at"] = None
    if args.get("kind"):
        query["kind"] = args["kind"]
    return page(runtime().db.inbox, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/inbox/unread-count", methods=["GET"])
@require_user()
@blp.response(200, CountOut)
def unread_count():
    return {"count": runtime().db.inbox.count_documents({"user_id": g.principal.user_id, "read_at": None})}


@blp.route("/inbox/<item_id>/read", methods=["POST"])
@require_user()
@blp.response(200, ItemOut)
def mark_read(item_id):
    rt = runtime()
    rt.db.inbox.update_one({"_id": item_id, "user_id": g.principal.user_id, "read_at": None},
                           {"$set": {"read_at": rt.clock.now()}})
    item = rt.db.inbox.find_one({"_id": item_id, "user_id": g.principal.user_id})
    if item is None:
        raise NotFound("no such inbox item")  # someone else's item looks the same as none
    return item

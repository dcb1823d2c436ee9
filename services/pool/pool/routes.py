"""The pool service's HTTP API."""
import marshmallow as ma
from flask import g

from crm_common.auth import customer_scope, require_user
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import Blueprint, runtime

blp = Blueprint("pool_entries", __name__, url_prefix="/v1/pool-entries",
                description="Customers tracked for reclaim, owned or in the pool")


class EntryOut(ma.Schema):
    customer_id = ma.fields.String()
    owner_id = ma.fields.String(allow_none=True)
    previous_owner_id = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "owned or in_pool"})
    level = ma.fields.String()
    last_activity_at = ma.fields.DateTime()
    reclaim_due_at = ma.fields.DateTime()
    reclaimed_at = ma.fields.DateTime(allow_none=True)


class EntryQuery(PageArgs):
    customer_id = ma.fields.String()
    status = ma.fields.String(validate=ma.validate.OneOf(["owned", "in_pool"]))


@blp.route("", methods=["GET"])
@require_user()
@blp.arguments(EntryQuery, location="query")
@blp.response(200, page_schema(EntryOut, "PoolEntryPage"))
def list_entries(args):
    query = {k: args[k] for k in ("customer_id", "status") if k in args}
    if args.get("status") != "in_pool":
        query = {"$and": [query, {"$or": [customer_scope(g.principal), {"status": "in_pool"}]}]}
    return page(runtime().db.pool_entries, query, limit=args["limit"], cursor=args["cursor"])

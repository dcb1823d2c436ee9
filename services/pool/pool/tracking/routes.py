"""The tracked entries: customers owned or waiting in a pool, with their reclaim due times."""
from flask import g

from crm_common.auth import require_user
from crm_common.kernel.scope import customer_scope
from crm_common.paging import page, page_schema
from crm_common.web import Blueprint, runtime

from ..pools import pools
from .schemas import EntryOut, EntryQuery

blp = Blueprint("pool_entries", __name__, url_prefix="/v1/pool-entries",
                description="Customers tracked for reclaim, owned or in the pool")


@blp.route("", methods=["GET"])
@require_user()
@blp.arguments(EntryQuery, location="query")
@blp.response(200, page_schema(EntryOut, "PoolEntryPage"))
def list_entries(args):
    rt = runtime()
    query = {k: args[k] for k in ("customer_id", "status") if k in args}
    # a waiting customer is shown to the members of its pool (a VIP pool's to the VIP pool's members)
    member_of = pools.member_of(rt, g.principal)
    waiting = {"status": "in_pool", **({} if member_of is None else {"pool_id": {"$in": member_of}})}
    if args.get("status") == "in_pool":
        query = {"$and": [query, waiting]}
    else:
        query = {"$and": [query, {"$or": [customer_scope(g.principal), waiting]}]}
    return page(rt.db.pool_entries, query, limit=args["limit"], cursor=args["cursor"])

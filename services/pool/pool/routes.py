"""Returns by the owner, the movement log, and the tracked entries (reclaim due times)."""
from flask import g

from crm_common.auth import require_user
from crm_common.kernel.scope import customer_scope
from crm_common.idempotency import idempotent
from crm_common.paging import page, page_schema
from crm_common.web import Blueprint, runtime

from . import movements, pools, returns
from .schemas import EntryOut, EntryQuery, MovementOut, MovementQuery, MoveOut, ReturnIn

blp = Blueprint("pool_entries", __name__, url_prefix="/v1/pool-entries",
                description="Customers tracked for reclaim, owned or in the pool")
moves_blp = Blueprint("movements", __name__, url_prefix="/v1", description="Returns and the movement log")


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


@moves_blp.route("/customers/<customer_id>/return", methods=["POST"])
@require_user()
@idempotent
@moves_blp.arguments(ReturnIn)
@moves_blp.response(200, MoveOut)
def return_customer(body, customer_id):
    """The owner gives a customer back to the pool (主动退回), with a reason."""
    return returns.give_back(runtime(), customer_id, body, g.principal)


@moves_blp.route("/movements", methods=["GET"])
@require_user()
@moves_blp.arguments(MovementQuery, location="query")
@moves_blp.response(200, page_schema(MovementOut, "MovementPage"))
def list_movements(args):
    """Every move with actor, reason and time; a manager sees their departments', a rep their own."""
    query = {k: args[k] for k in ("customer_id", "pool_id", "user_id", "kind") if k in args}
    scope = movements.visible_to(g.principal)
    if scope:
        query = {"$and": [query, scope]}
    return page(runtime().db.movements, query, limit=args["limit"], cursor=args["cursor"])


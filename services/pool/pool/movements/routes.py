"""Returns by the owner, transfers between pools, and the movement log."""
from flask import g

from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.paging import page, page_schema
from crm_common.web import Blueprint, runtime

from ..pools.routes import blp as pools_blp
from . import log, returns, transfers
from .schemas import MovementOut, MovementQuery, MoveOut, ReturnIn, TransferIn

moves_blp = Blueprint("movements", __name__, url_prefix="/v1", description="Returns and the movement log")


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
    scope = log.visible_to(g.principal)
    if scope:
        query = {"$and": [query, scope]}
    return page(runtime().db.movements, query, limit=args["limit"], cursor=args["cursor"])


@pools_blp.route("/<pool_id>/customers/<customer_id>/transfer", methods=["POST"])
@require_user()
@idempotent
@pools_blp.arguments(TransferIn)
@pools_blp.response(200, MoveOut)
def transfer(body, pool_id, customer_id):
    return transfers.transfer(runtime(), pool_id, customer_id, body["to_pool_id"], g.principal)

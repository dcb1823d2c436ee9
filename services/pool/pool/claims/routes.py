"""The customers waiting in a pool, claims and assignments, on the pools blueprint (/v1/pools/<pool_id>/customers)."""
from __future__ import annotations

from flask import g

from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import runtime

from ..movements.schemas import MoveOut
from ..pools import membership, pools
from ..pools.routes import blp
from ..tracking.schemas import EntryOut
from . import claims, eligibility
from .schemas import AssignIn, ClaimOut


@blp.route("/<pool_id>/customers", methods=["GET"])
@require_user()
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(EntryOut, "PoolCustomerPage"))
def pool_customers(args, pool_id):
    """The customers waiting in the pool, for its members."""
    rt = runtime()
    pool = pools.get(rt, pool_id)
    if not membership.is_member(pool, rt.db.users.find_one({"_id": g.principal.user_id})) \
            and not g.principal.is_admin:
        raise eligibility.refuse("not_member", "you are not a member of this pool")
    return page(rt.db.pool_entries, {"pool_id": pool_id, "status": "in_pool"}, limit=args["limit"],
                cursor=args["cursor"])


@blp.route("/<pool_id>/customers/<customer_id>/claim", methods=["POST"])
@require_user()
@idempotent
@blp.response(200, ClaimOut)
def claim(pool_id, customer_id):
    """Take a customer from the pool (主动领取). 409 with a `reason` when it may not be taken now."""
    return claims.claim(runtime(), pool_id, customer_id, g.principal)


@blp.route("/<pool_id>/customers/<customer_id>/assign", methods=["POST"])
@require_user("admin", "manager", "rep")
@idempotent
@blp.arguments(AssignIn)
@blp.response(200, MoveOut)
def assign(body, pool_id, customer_id):
    """A manager or pool admin gives an in-pool customer to a rep (被动分配)."""
    return claims.assign(runtime(), pool_id, customer_id, body["user_id"], g.principal, reason=body["reason"])

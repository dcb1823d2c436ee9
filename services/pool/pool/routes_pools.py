"""Pools: CRUD by admins, rule previews, the customers in a pool, and claim / assign / transfer."""
from __future__ import annotations

from flask import g

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import Blueprint, runtime

from . import claims, pools, preview, returns, rules
from .claims import refuse
from .schemas import (AssignIn, ClaimOut, EntryOut, MoveOut, PoolIn, PoolOut, PoolPatch, PreviewIn, PreviewOut,
                      TransferIn)

blp = Blueprint("pools", __name__, url_prefix="/v1/pools", description="Pools, their members and rules, and claims")


def with_etag(pool: dict, status: int = 200):
    return pool, status, concurrency.etag_headers(pool)


@blp.route("", methods=["POST"])
@require_user("admin")
@idempotent
@blp.arguments(PoolIn)
@blp.response(201, PoolOut)
def create_pool(body):
    return with_etag(pools.create(runtime(), body, g.principal), 201)


@blp.route("", methods=["GET"])
@require_user()
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(PoolOut, "PoolPage"))
def list_pools(args):
    return page(runtime().db.pools, {}, limit=args["limit"], cursor=args["cursor"])


@blp.route("/<pool_id>", methods=["GET"])
@require_user()
@blp.response(200, PoolOut)
def get_pool(pool_id):
    return with_etag(pools.get(runtime(), pool_id))


@blp.route("/<pool_id>", methods=["PATCH"])
@require_user()
@blp.arguments(PoolPatch)
@blp.response(200, PoolOut)
def update_pool(body, pool_id):
    return with_etag(pools.update(runtime(), pool_id, body, g.principal, concurrency.expected_versions()))


@blp.route("/<pool_id>/rules:preview", methods=["POST"])
@require_user()
@blp.arguments(PreviewIn)
@blp.response(200, PreviewOut)
def preview_rules(body, pool_id):
    """What the proposed rules would reclaim now, and when the others fall due; nothing moves."""
    return preview.preview(runtime(), pool_id, body["rules"], g.principal)


@blp.route("/<pool_id>/customers", methods=["GET"])
@require_user()
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(EntryOut, "PoolCustomerPage"))
def pool_customers(args, pool_id):
    """The customers waiting in the pool, for its members."""
    rt = runtime()
    pool = pools.get(rt, pool_id)
    if not rules.is_member(pool, rt.db.users.find_one({"_id": g.principal.user_id})) and not g.principal.is_admin:
        raise refuse("not_member", "you are not a member of this pool")
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


@blp.route("/<pool_id>/customers/<customer_id>/transfer", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(TransferIn)
@blp.response(200, MoveOut)
def transfer(body, pool_id, customer_id):
    return returns.transfer(runtime(), pool_id, customer_id, body["to_pool_id"], g.principal)

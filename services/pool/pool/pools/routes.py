"""Pools: created by admins, changed by their admins (If-Match), read by those who may use them.

The blueprint `blp` (/v1/pools) also carries the routes of the other capabilities that act on
one pool: rule previews (reclaim/routes.py), its customers, claims and assignments
(claims/routes.py) and transfers (movements/routes.py).
"""
from __future__ import annotations

from flask import g

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import Blueprint, runtime

from . import pools
from .schemas import PoolIn, PoolOut, PoolPatch

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
    """Every pool to an admin; to anyone else the pools they may use (pools.visible_to)."""
    visible = pools.visible_to(runtime(), g.principal)
    query = {} if visible is None else {"_id": {"$in": visible}}
    return page(runtime().db.pools, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/<pool_id>", methods=["GET"])
@require_user()
@blp.response(200, PoolOut)
def get_pool(pool_id):
    return with_etag(pools.get_visible(runtime(), pool_id, g.principal))


@blp.route("/<pool_id>", methods=["PATCH"])
@require_user()
@blp.arguments(PoolPatch)
@blp.response(200, PoolOut)
def update_pool(body, pool_id):
    return with_etag(pools.update(runtime(), pool_id, body, g.principal, concurrency.expected_versions()))

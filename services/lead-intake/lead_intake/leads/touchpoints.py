"""Touchpoints (DOMAIN §1): every submission of a lead or customer, with its channel, time and payload.

A lead keeps its own; a known customer's resubmissions (and the touchpoints of leads merged into
it) are kept here in lead intake, which decided them. Both are shown to whoever may see the record.
"""
from __future__ import annotations

from flask import g

from crm_common.auth import require_user
from crm_common.kernel.refusals import NotFound
from crm_common.paging import page
from crm_common.web import Blueprint, runtime

from ..dedup import disclosure
from .routes import visible_lead
from .schemas import CustomerTouchpointQuery, TouchpointPage

blp = Blueprint("touchpoints", __name__, url_prefix="/v1", description="Every submission of a lead or customer")


@blp.route("/leads/<lead_id>/touchpoints", methods=["GET"])
@require_user()
@blp.response(200, TouchpointPage)
def lead_touchpoints(lead_id):
    """A lead's touchpoints, oldest first (its first submission, then each duplicate of it)."""
    return {"items": visible_lead(lead_id).get("touchpoints", []), "next_cursor": None}


@blp.route("/touchpoints", methods=["GET"])
@require_user()
@blp.arguments(CustomerTouchpointQuery, location="query")
@blp.response(200, TouchpointPage)
def customer_touchpoints(args):
    """A customer's touchpoints after it became a customer: submissions that were duplicates of it,
    and those of leads merged into it."""
    db = runtime().db
    if not disclosure.in_scope(db, g.principal, "customer", args["customer_id"]):
        raise NotFound("no such customer", errors=[{"field": "customer_id", "message": "unknown"}])
    return page(db.customer_touchpoints, {"customer_id": args["customer_id"]}, limit=args["limit"],
                cursor=args["cursor"])

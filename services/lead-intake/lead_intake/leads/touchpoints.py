"""Touchpoints (DOMAIN §1): every submission of a lead or customer, with its channel, time and payload.

Each is a document of its own in `touchpoints` (a lead's document does not grow with resubmissions):
a lead's first submission and its duplicates, a known customer's resubmissions and the touchpoints
of leads merged into it, kept here in lead intake, which decided them. Both are listed a page at a
time to whoever may see the record.
"""
from __future__ import annotations

from flask import g

from crm_common.auth import require_user
from crm_common.kernel.refusals import NotFound
from crm_common.paging import PageArgs, page
from crm_common.web import Blueprint, runtime

from ..dedup import disclosure
from .routes import visible_lead
from .schemas import CustomerTouchpointQuery, TouchpointPage

blp = Blueprint("touchpoints", __name__, url_prefix="/v1", description="Every submission of a lead or customer")


@blp.route("/leads/<lead_id>/touchpoints", methods=["GET"])
@require_user()
@blp.arguments(PageArgs, location="query")
@blp.response(200, TouchpointPage)
def lead_touchpoints(args, lead_id):
    """A lead's touchpoints, oldest first (its first submission, then each duplicate of it, and those of
    leads merged into it)."""
    visible_lead(lead_id)
    return page(runtime().db.touchpoints, {"lead_ids": lead_id}, limit=args["limit"], cursor=args["cursor"])


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
    return page(db.touchpoints, {"customer_id": args["customer_id"]}, limit=args["limit"],
                cursor=args["cursor"])

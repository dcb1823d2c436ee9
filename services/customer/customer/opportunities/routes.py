"""Opportunities: open one on a customer, list and read them in scope, edit with If-Match, move through
the stages (409 with `missing_conditions` when the stage's entry conditions do not hold)."""
from __future__ import annotations

from flask import g

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.paging import page
from crm_common.queries import both, find_one
from crm_common.kernel.refusals import NotFound
from crm_common.web import Blueprint, runtime

from ..customers import customers, scope
from ..sales.schemas import StageHistoryOut, StageIn
from . import store
from .schemas import OpportunityIn, OpportunityOut, OpportunityPage, OpportunityPatch, OpportunityQuery

blp = Blueprint("opportunities", __name__, url_prefix="/v1", description="Opportunities (商机): a customer's deals")
FILTERS = ("customer_id", "owner_id", "stage", "status")


def _visible(opportunity_id: str) -> dict:
    deal = find_one(runtime().db.opportunities, both({"_id": opportunity_id}, scope.mine()))
    if deal is None:
        raise NotFound("no such opportunity")  # the same answer whether it exists or is out of scope
    return deal


def _with_etag(deal: dict, status: int = 200):
    return deal, status, concurrency.etag_headers(deal)


@blp.route("/customers/<customer_id>/opportunities", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(OpportunityIn)
@blp.response(201, OpportunityOut)
def create_opportunity(body, customer_id):
    """A new open deal of the customer, in the first stage of its pipeline (the customer's unless named);
    its owner is the customer's."""
    rt, made = runtime(), {}

    def mutate(session, customer):
        deal = store.open_new(rt, session, customer, body, by=g.principal.user_id)
        made.update(deal)
        return store.derive(rt, session, customer, g.principal.user_id)
    customers.change(rt, customer_id, mutate, scope=scope.mine(), made=made)
    return _with_etag(made, 201)


@blp.route("/opportunities", methods=["GET"])
@require_user()
@blp.arguments(OpportunityQuery, location="query")
@blp.response(200, OpportunityPage)
def list_opportunities(args):
    """The filters a report row's drill-down names: a stage and status, an owner or department, the month
    deals are expected to close in, the period they were won or lost in."""
    query = {k: args[k] for k in FILTERS if k in args}
    if "department_id" in args:
        query["department_path"] = args["department_id"]
    closing = _between(args, "close_from", "$gte", "close_to", "$lte")
    if closing:  # the forecast's month: the close date, else the 定量 signing date, as the forecast takes it
        query["$or"] = [{"expected_close_date": closing}, {"expected_close_date": None, "expected_sign_date": closing}]
    closed = _between(args, "closed_after", "$gte", "closed_before", "$lt")
    if closed:  # a deal is closed when it enters its won or lost stage
        query.update(stage_entered_at=closed, **({} if "status" in args else {"status": {"$in": ["won", "lost"]}}))
    return page(runtime().db.opportunities, scope.scoped(query), limit=args["limit"], cursor=args["cursor"])


def _between(args, first, after, last, before) -> dict:
    return {**({after: args[first]} if first in args else {}), **({before: args[last]} if last in args else {})}


@blp.route("/opportunities/<opportunity_id>", methods=["GET"])
@require_user()
@blp.response(200, OpportunityOut)
def get_opportunity(opportunity_id):
    return _with_etag(_visible(opportunity_id))


@blp.route("/opportunities/<opportunity_id>", methods=["PATCH"])
@require_user()
@concurrency.documented()
@blp.arguments(OpportunityPatch)
@blp.response(200, OpportunityOut)
def update_opportunity(body, opportunity_id):
    """Needs If-Match with the ETag last read: 428 without it, 412 if someone changed the deal since."""
    expected = concurrency.expected_versions(required=True)
    by = g.principal.user_id
    return _with_etag(store.change(runtime(), opportunity_id,
                                   lambda session, customer, deal: store.edit(runtime(), session, customer, deal,
                                                                              body, by=by),
                                   scope=scope.mine(), expected=expected))


@blp.route("/opportunities/<opportunity_id>/stage", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(StageIn)
@blp.response(200, OpportunityOut)
def enter_stage(body, opportunity_id):
    """409 with `missing_conditions` when the stage's entry conditions do not hold. An If-Match, if sent,
    must name the deal's current version (412 otherwise)."""
    by = g.principal.user_id
    return _with_etag(store.change(runtime(), opportunity_id,
                                   lambda session, customer, deal: store.enter(runtime(), session, customer, deal,
                                                                               body, by=by),
                                   scope=scope.mine(), expected=concurrency.expected_versions(required=False)))


@blp.route("/opportunities/<opportunity_id>/stage-history", methods=["GET"])
@require_user()
@blp.response(200, StageHistoryOut(many=True))
def stage_history(opportunity_id):
    _visible(opportunity_id)
    return list(runtime().db.stage_history.find({"opportunity_id": opportunity_id}).sort([("at", 1), ("_id", 1)]))

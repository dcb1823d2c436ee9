"""The review queue of possible duplicates, and the audit of merges."""
from __future__ import annotations

from flask import g

from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.kernel.refusals import Conflict, Invalid, NotFound
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import Blueprint, runtime

from ..dedup import disclosure
from . import merging
from .schemas import MergeOut, ReviewMergeIn, ReviewOut, ReviewQuery

blp = Blueprint("reviews", __name__, url_prefix="/v1", description="Possible duplicates to merge or dismiss")


@blp.route("/reviews", methods=["GET"])
@require_user("admin", "manager")
@blp.arguments(ReviewQuery, location="query")
@blp.response(200, page_schema(ReviewOut, "ReviewPage"))
def list_reviews(args):
    """Reviews of leads within the caller's scope, naming only candidates within it."""
    db, me = runtime().db, g.principal
    query = {"status": args["status"]}
    if not me.is_admin:
        query["lead_id"] = {"$in": _leads_in_scope(db.reviews.distinct("lead_id", query))}
    found = page(db.reviews, query, limit=args["limit"], cursor=args["cursor"])
    for review in found["items"]:
        review["candidates"] = disclosure.visible_candidates(db, me, review["candidates"])
    return found


@blp.route("/reviews/<review_id>/merge", methods=["POST"])
@require_user("admin", "manager")
@idempotent
@blp.arguments(ReviewMergeIn)
@blp.response(200, ReviewOut)
def merge_review(body, review_id):
    """Merge the flagged lead into one of its candidates."""
    rt = runtime()

    def write(session):
        review = _open_review(session, review_id)
        candidate = next((c for c in review["candidates"] if c["id"] == body["candidate_id"]), None)
        if candidate is not None and not disclosure.in_scope(rt.db, g.principal, candidate["kind"], candidate["id"],
                                                             session):
            raise NotFound("no such candidate", errors=[{"field": "candidate_id", "message": "unknown"}])
        if candidate is None:
            raise Invalid("not a candidate of this review", errors=[{"field": "candidate_id", "message": "unknown"}])
        merging.merge(rt, session, review["lead_id"], candidate["id"], candidate["kind"], g.principal)
        _decide(session, review_id, "merged")
    rt.transaction(write)
    return rt.db.reviews.find_one({"_id": review_id})


@blp.route("/reviews/<review_id>/dismiss", methods=["POST"])
@require_user("admin", "manager")
@idempotent
@blp.response(200, ReviewOut)
def dismiss_review(review_id):
    """Not the same customer: the lead stays as it is."""
    rt = runtime()

    def write(session):
        review = _open_review(session, review_id)
        _decide(session, review_id, "dismissed")
        rt.publish(session, rt.event("crm.lead.duplicate_dismissed", review["lead_id"], {
            "lead_id": review["lead_id"], "review_id": review_id,
            "candidate_ids": [c["id"] for c in review["candidates"]], "by": g.principal.user_id,
            "dismissed_at": rt.clock.now().isoformat()}))
    rt.transaction(write)
    return rt.db.reviews.find_one({"_id": review_id})


@blp.route("/merges", methods=["GET"])
@require_user("admin", "manager")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(MergeOut, "MergePage"))
def list_merges(args):
    """Merges of leads within the caller's scope."""
    db = runtime().db
    query = {} if g.principal.is_admin else {"merged_id": {"$in": _leads_in_scope(db.merges.distinct("merged_id"))}}
    return page(db.merges, query, limit=args["limit"], cursor=args["cursor"])


def _leads_in_scope(lead_ids: list) -> list:
    return runtime().db.leads.distinct("_id", {"$and": [{"_id": {"$in": lead_ids}},
                                                         disclosure.lead_scope(g.principal)]})


def _open_review(session, review_id: str) -> dict:
    rt = runtime()
    review = rt.db.reviews.find_one({"_id": review_id}, session=session)
    if review is None or not disclosure.in_scope(rt.db, g.principal, "lead", review["lead_id"], session):
        raise NotFound("no such review")
    if review["status"] != "open":
        raise Conflict(f"the review is already {review['status']}")
    return review


def _decide(session, review_id: str, status: str) -> None:
    rt = runtime()
    rt.db.reviews.update_one({"_id": review_id}, {"$set": {
        "status": status, "decided_by": g.principal.user_id, "decided_at": rt.clock.now()}}, session=session)

"""The leads API, working leads: reps and managers read them and move them (leads/states.py).

Channels submit on the same blueprint (intake/routes.py), which opens it.
"""
from __future__ import annotations

from flask import g

from crm_common import idempotency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.kernel.refusals import NotFound
from crm_common.paging import page
from crm_common.web import runtime

from ..dedup import disclosure
from ..intake.routes import blp
from ..review import merging
from . import moves, states
from .schemas import AssignIn, DisqualifyIn, LeadOut, LeadPage, LeadQuery, MergeIn


@blp.route("/leads", methods=["GET"])
@require_user()
@blp.arguments(LeadQuery, location="query")
@blp.response(200, LeadPage)
def list_leads(args):
    query = {k: args[k] for k in ("status", "bucket", "owner_id") if k in args}
    if args["view"] == "mine":
        query["owner_id"] = g.principal.user_id
    elif args["view"] == "unassigned":
        query["owner_id"] = None
    found = page(runtime().db.leads, {"$and": [lead_scope(), query]}, limit=args["limit"], cursor=args["cursor"])
    found["items"] = [disclosure.shown_lead(runtime().db, g.principal, lead) for lead in found["items"]]
    return found


@blp.route("/leads/<lead_id>", methods=["GET"])
@require_user()
@blp.response(200, LeadOut)
def get_lead(lead_id):
    return disclosure.shown_lead(runtime().db, g.principal, visible_lead(lead_id))


@blp.route("/leads/<lead_id>/assign", methods=["POST"])
@require_user(*states.MOVES["assign"].roles)
@idempotent
@blp.arguments(AssignIn)
@blp.response(200, LeadOut)
def assign_lead(body, lead_id):
    rep = runtime().db.reps.find_one({"_id": body["owner_id"], "active": True})
    refused = states.assignee_refusal(g.principal, rep)
    if refused:
        raise refused
    return _move(lead_id, "assign", owner=rep)


@blp.route("/leads/<lead_id>/claim", methods=["POST"])
@require_user(*states.MOVES["claim"].roles)
@idempotent
@blp.response(200, LeadOut)
def claim_lead(lead_id):
    """A rep takes an unassigned lead from the lead pool."""
    return _move(lead_id, "claim")


@blp.route("/leads/<lead_id>/contacted", methods=["POST"])
@require_user(*states.MOVES["contact"].roles)
@idempotent
@blp.response(200, LeadOut)
def mark_contacted(lead_id):
    return _move(lead_id, "contact")


@blp.route("/leads/<lead_id>/disqualify", methods=["POST"])
@require_user(*states.MOVES["disqualify"].roles)
@idempotent
@blp.arguments(DisqualifyIn)
@blp.response(200, LeadOut)
def disqualify(body, lead_id):
    return _move(lead_id, "disqualify", reason=body["reason"], note=body.get("note"))


@blp.route("/leads/<lead_id>/convert", methods=["POST"])
@require_user(*states.MOVES["convert"].roles)
@idempotent
@blp.response(200, LeadOut)
def convert_lead(lead_id):
    """Convert a valuable lead: the customer service creates the customer from the event."""
    return _move(lead_id, "convert")


@blp.route("/leads/<lead_id>/merge", methods=["POST"])
@require_user(*states.MOVES["merge"].roles)
@idempotent
@blp.arguments(MergeIn)
@blp.response(200, LeadOut)
def merge_lead(body, lead_id):
    visible_lead(lead_id)
    if not disclosure.in_scope(runtime().db, g.principal, body["into_kind"], body["into_id"]):
        raise NotFound(f"no such {body['into_kind']} to merge into", errors=[{"field": "into_id", "message": "unknown"}])
    runtime().transaction(lambda s: merging.merge(runtime(), s, lead_id, body["into_id"], body["into_kind"],
                                                  g.principal))
    return visible_lead(lead_id)


def _move(lead_id: str, action: str, **given) -> dict:
    """Move a visible lead in one transaction, if its state allows it now; the lead as it is then."""
    lead = visible_lead(lead_id)
    if idempotency.kept_answer():  # a retry of a move that committed: its answer is the lead as it is now
        return lead
    moves.move(runtime(), lead, action, g.principal, **given)
    return visible_lead(lead_id)


def lead_scope() -> dict:
    return disclosure.lead_scope(g.principal)


def visible_lead(lead_id: str) -> dict:
    lead = runtime().db.leads.find_one({"$and": [{"_id": lead_id}, lead_scope()]})
    if lead is None:
        raise NotFound("no such lead")
    return lead

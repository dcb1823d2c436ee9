"""The leads API: channels submit, reps convert."""
from __future__ import annotations

from flask import g

from crm_common.auth import require_user
from crm_common.errors import Problem
from crm_common.web import Blueprint, runtime

from . import intake
from .channels import require_channel
from .schemas import IntakeOut, LeadIn, LeadOut

blp = Blueprint("leads", __name__, url_prefix="/v1/leads", description="Submit, read and convert leads")


@blp.route("", methods=["POST"])
@require_channel
@blp.arguments(LeadIn)
@blp.response(201, IntakeOut)
@blp.alt_response(200, schema=IntakeOut, description="An exact duplicate: attached to the existing record")
def submit_lead(body):
    result = intake.submit(runtime(), g.channel, body)
    return {"id": result["id"], "dedup": result["dedup"]}, result["status"]


@blp.route("/<lead_id>", methods=["GET"])
@require_user()
@blp.response(200, LeadOut)
def get_lead(lead_id):
    return _visible_lead(lead_id)


@blp.route("/<lead_id>/convert", methods=["POST"])
@require_user()
@blp.response(200, LeadOut)
def convert_lead(lead_id):
    """Convert a valuable lead: the customer service creates the customer from the event."""
    rt = runtime()
    lead = _visible_lead(lead_id)
    if lead["status"] == "converted":
        raise Problem(409, "the lead is already converted")
    if lead["status"] == "disqualified":
        raise Problem(409, "a disqualified lead cannot be converted")
    owner_id = lead.get("owner_id") or g.principal.user_id

    def convert(session):
        now = rt.clock.now()
        done = rt.db.leads.find_one_and_update(
            {"_id": lead_id, "status": lead["status"]},
            {"$set": {"status": "converted", "owner_id": owner_id, "converted_at": now, "updated_at": now}},
            session=session, return_document=True)
        if done is None:
            raise Problem(409, "the lead changed meanwhile; read it again")
        rt.publish(session, rt.event("crm.lead.converted", lead_id, {
            "lead_id": lead_id, "converted_by": g.principal.user_id, "owner_id": owner_id,
            "name": done["name"], "company": done.get("company"), "phones": done["phones"],
            "emails": done["emails"], "wechat_ids": done.get("wechat_ids", []), "converted_at": now.isoformat(),
        }))
        return done
    return rt.transaction(convert)


def _visible_lead(lead_id: str) -> dict:
    lead = runtime().db.leads.find_one({"_id": lead_id})
    principal = g.principal
    # Reps see unassigned leads and their own; managers and admins see all (lead scope deepens later).
    if lead is None or (principal.role == "rep" and lead.get("owner_id") not in (None, principal.user_id)):
        raise Problem(404, "no such lead")
    return lead

"""The leads API: channels submit; reps and managers work the leads."""
from __future__ import annotations

import marshmallow as ma
from flask import g

from crm_common import csvio, idempotency, ratelimit
from crm_common.auth import require_user
from crm_common.kernel.scope import within_subtree
from crm_common.idempotency import idempotent
from crm_common.errors import Problem, field_errors
from crm_common.paging import page
from crm_common.web import Blueprint, runtime

from . import disclosure, intake, merging
from .channels import require_channel
from .schemas import (AssignIn, BatchIn, BatchOut, DisqualifyIn, ImportQuery, IntakeOut, LeadIn, LeadOut, LeadPage,
                      LeadQuery, MergeIn)

blp = Blueprint("leads", __name__, url_prefix="/v1", description="Submit, read and work leads")
OPEN = ("new", "assigned", "contacted")
MAX_IMPORT_ROWS = 5000
ROWS_PER_TRANSACTION = 500


@blp.route("/leads", methods=["POST"])
@require_channel
@idempotent
@blp.arguments(LeadIn)
@blp.response(201, IntakeOut)
@blp.alt_response(200, schema=IntakeOut, description="An exact duplicate: attached to the existing record")
def submit_lead(body):
    payload, status = idempotency.kept_answer() or intake.submit(runtime(), g.channel, body)
    return disclosure.for_channel(payload), status


@blp.route("/leads:batch", methods=["POST"])
@require_channel
@idempotent
@blp.arguments(BatchIn)
@blp.response(200, BatchOut)
def submit_batch(body):
    """Up to 500 leads; each row is validated, de-duplicated and reported on its own.

    Every row counts against the channel's rate limit (one was counted for the request)."""
    rt = runtime()
    if len(body["leads"]) > 1:
        ratelimit.check(rt, f"channel:{g.channel['_id']}", g.channel.get("rate_limit_per_minute", 600),
                        cost=len(body["leads"]) - 1)
    report = submit_rows(rt, g.channel, body["leads"])
    report["results"] = [disclosure.for_channel(r) if "dedup" in r else r for r in report["results"]]
    return report


@blp.route("/leads:import", methods=["POST"])
@require_user("admin", "manager")
@idempotent
@blp.arguments(ImportQuery, location="query")
@blp.response(200, BatchOut)
@blp.doc(**csvio.UPLOAD_DOC)
def import_csv(args):
    """A CSV file (trade show, partner list) for one channel; columns are the lead fields."""
    rt = runtime()
    channel = rt.db.channels.find_one({"_id": args["channel_id"], "active": True})
    if channel is None:
        raise Problem(400, "no active channel with this id", errors=[{"field": "channel_id", "message": "unknown"}])
    report = submit_rows(rt, channel, csvio.read_rows(csvio.uploaded_text(), max_rows=MAX_IMPORT_ROWS))
    for row in report["results"]:
        if "dedup" in row:
            row["dedup"] = disclosure.for_user(rt.db, g.principal, row["dedup"])
    return report


def submit_rows(rt, channel: dict, rows: list) -> dict:
    """Each valid row taken in as if submitted alone, in order; up to ROWS_PER_TRANSACTION in one transaction."""
    results, schema, valid = [], LeadIn(), []
    for number, row in enumerate(rows, start=1):
        try:
            valid.append((number, schema.load(row if isinstance(row, dict) else {})))
            results.append(None)
        except ma.ValidationError as exc:
            results.append({"row": number, "status": 400, "errors": field_errors(exc.messages)})
    for start in range(0, len(valid), ROWS_PER_TRANSACTION):
        chunk = valid[start:start + ROWS_PER_TRANSACTION]
        for (number, _), (payload, status) in zip(chunk, intake.submit_many(rt, channel, [b for _, b in chunk])):
            results[number - 1] = {"row": number, "status": status, **payload}
    statuses = [r["status"] for r in results]
    return {"created": statuses.count(201), "duplicates": statuses.count(200), "rejected": statuses.count(400),
            "results": results}


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
@require_user("admin", "manager")
@idempotent
@blp.arguments(AssignIn)
@blp.response(200, LeadOut)
def assign_lead(body, lead_id):
    rt = runtime()
    rep = rt.db.reps.find_one({"_id": body["owner_id"], "active": True})
    if rep is None or not within_subtree(g.principal, rep.get("department_path", [])):
        raise Problem(400, "the owner is not an active user", errors=[{"field": "owner_id", "message": "unknown"}])
    return _move(lead_id, OPEN, lambda s: intake.assign(
        rt, s, lead_id, rep["_id"], rep.get("department_path", []), by=g.principal.user_id))


@blp.route("/leads/<lead_id>/claim", methods=["POST"])
@require_user()
@idempotent
@blp.response(200, LeadOut)
def claim_lead(lead_id):
    """A rep takes an unassigned lead from the lead pool."""
    rt, me = runtime(), g.principal
    lead = visible_lead(lead_id)
    if lead["owner_id"] is not None or lead["status"] != "new":
        raise Problem(409, "only an unassigned lead can be claimed")

    def claim(session):
        taken = rt.db.leads.update_one({"_id": lead_id, "owner_id": None, "status": "new"},
                                       {"$set": {"owner_id": me.user_id}}, session=session)
        if taken.modified_count == 0:
            raise Problem(409, "someone claimed the lead first")
        intake.assign(rt, session, lead_id, me.user_id, me.department_path, by=me.user_id)
    rt.transaction(claim)
    return visible_lead(lead_id)


@blp.route("/leads/<lead_id>/contacted", methods=["POST"])
@require_user()
@idempotent
@blp.response(200, LeadOut)
def mark_contacted(lead_id):
    rt = runtime()

    def write(session):
        lead, now = rt.db.leads.find_one({"_id": lead_id}, session=session), rt.clock.now()
        rt.db.leads.update_one({"_id": lead_id}, {"$set": {"status": "contacted", "contacted_at": now}},
                               session=session)
        assigned_at = lead.get("assigned_at")
        rt.publish(session, rt.event("crm.lead.contacted", lead_id, {
            "lead_id": lead_id, "owner_id": lead.get("owner_id"), "by": g.principal.user_id,
            "assigned_at": assigned_at.isoformat() if assigned_at else None, "contacted_at": now.isoformat()}))
    return _move(lead_id, ("assigned",), write)


@blp.route("/leads/<lead_id>/disqualify", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(DisqualifyIn)
@blp.response(200, LeadOut)
def disqualify(body, lead_id):
    rt = runtime()

    def write(session):
        now = rt.clock.now()
        rt.db.leads.update_one({"_id": lead_id}, {"$set": {
            "status": "disqualified", "disqualify_reason": body["reason"], "disqualify_note": body.get("note"),
            "updated_at": now}}, session=session)
        rt.publish(session, rt.event("crm.lead.disqualified", lead_id, {
            "lead_id": lead_id, "reason": body["reason"], "note": body.get("note"), "by": g.principal.user_id,
            "disqualified_at": now.isoformat()}))
    _rep_owns(lead_id)
    return _move(lead_id, OPEN, write)


# What the customer keeps of a lead beyond its name and contact methods: the contact's title and
# birthday (notify's birthday reminders), where it is, and the submitter's note.
CARRIED_ON_CONVERSION = ("title", "birthday", "province", "note")


@blp.route("/leads/<lead_id>/convert", methods=["POST"])
@require_user()
@idempotent
@blp.response(200, LeadOut)
def convert_lead(lead_id):
    """Convert a valuable lead: the customer service creates the customer from the event."""
    rt = runtime()

    def write(session):
        lead = rt.db.leads.find_one({"_id": lead_id}, session=session)
        owner_id, now = lead.get("owner_id") or g.principal.user_id, rt.clock.now()
        rt.db.leads.update_one({"_id": lead_id}, {"$set": {
            "status": "converted", "owner_id": owner_id, "converted_at": now, "updated_at": now}}, session=session)
        rt.publish(session, rt.event("crm.lead.converted", lead_id, {
            "lead_id": lead_id, "converted_by": g.principal.user_id, "owner_id": owner_id, "name": lead["name"],
            "company": lead.get("company"), "phones": lead["phones"], "emails": lead["emails"],
            "wechat_ids": lead.get("wechat_ids", []), "city": lead.get("city"), "industry": lead.get("industry"),
            **{k: lead[k] for k in CARRIED_ON_CONVERSION if lead.get(k)}, "converted_at": now.isoformat()}))
    _rep_owns(lead_id)
    return _move(lead_id, OPEN, write)


@blp.route("/leads/<lead_id>/merge", methods=["POST"])
@require_user("admin", "manager")
@idempotent
@blp.arguments(MergeIn)
@blp.response(200, LeadOut)
def merge_lead(body, lead_id):
    visible_lead(lead_id)
    if not disclosure.in_scope(runtime().db, g.principal, body["into_kind"], body["into_id"]):
        raise Problem(404, f"no such {body['into_kind']} to merge into",
                      errors=[{"field": "into_id", "message": "unknown"}])
    runtime().transaction(lambda s: merging.merge(runtime(), s, lead_id, body["into_id"], body["into_kind"],
                                                  g.principal.user_id))
    return visible_lead(lead_id)


def _move(lead_id: str, allowed: tuple, write) -> dict:
    """Change a visible lead in one transaction, if its state allows it now."""
    rt = runtime()
    lead = visible_lead(lead_id)
    if idempotency.kept_answer():  # a retry of a move that committed: its answer is the lead as it is now
        return lead

    def guarded(session):
        # Re-read inside the transaction: a concurrent change makes this one conflict and retry.
        # update_one, not find_one_and_update: SecantusDB answers findAndModify with a collection scan.
        current = rt.db.leads.update_one({"_id": lead_id, "status": {"$in": list(allowed)}},
                                         {"$set": {"updated_at": rt.clock.now()}}, session=session)
        if not current.matched_count:
            raise Problem(409, f"the lead is {lead['status']}; this needs one of: {', '.join(allowed)}")
        write(session)
        idempotency.keep(rt.db, session, {"moved": lead_id}, 200)
    rt.transaction(guarded)
    return visible_lead(lead_id)


def _rep_owns(lead_id: str) -> None:
    """A rep disqualifies or converts only a lead they own (a claimed lead is theirs); a pool lead is claimed first."""
    lead = visible_lead(lead_id)
    if g.principal.role == "rep" and lead["owner_id"] != g.principal.user_id:
        raise Problem(403, "only the lead's owner may do this; claim the lead first")


def lead_scope() -> dict:
    return disclosure.lead_scope(g.principal)


def visible_lead(lead_id: str) -> dict:
    lead = runtime().db.leads.find_one({"$and": [{"_id": lead_id}, lead_scope()]})
    if lead is None:
        raise Problem(404, "no such lead")
    return lead

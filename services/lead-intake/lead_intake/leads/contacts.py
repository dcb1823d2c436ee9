"""Confirming a lead's contact methods: what a channel's resubmission only offered becomes the lead's own.

A resubmission's new phone, email or WeChat id is kept on its touchpoint and offered to the lead
(intake/store.py), never bound by the channel alone: a public form must not make a stranger's phone
find this lead. A user who sees the lead confirms the methods that are really this person's (offered
or typed from a call); each then is an identity key of the lead, and finds it exactly from then on.
"""
from __future__ import annotations

import marshmallow as ma
from flask import g
from pymongo import UpdateOne

from crm_common import idempotency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.kernel import identity
from crm_common.kernel.refusals import Conflict, Invalid, Refusal
from crm_common.web import runtime

from ..dedup.matching import CONTACT_LISTS
from ..intake.routes import blp
from ..intake.schemas import _email, _phone
from .routes import visible_lead
from .schemas import LeadOut

PREFIXES = {"phones": "phone", "emails": "email", "wechat_ids": "wechat"}


class ConfirmIn(ma.Schema):
    phones = ma.fields.List(_phone, validate=ma.validate.Length(max=5))
    emails = ma.fields.List(_email, validate=ma.validate.Length(max=5))
    wechat_ids = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=64)),
                                validate=ma.validate.Length(max=5))


def keys_of(body: dict) -> dict[str, tuple[str, str]]:
    """identity key -> (list, normalised value) for each method given."""
    out = {}
    for plural, _, normaliser in CONTACT_LISTS:
        for raw in body.get(plural, []):
            value = normaliser(raw)
            out[f"{PREFIXES[plural]}:{value}"] = (plural, value)
    return out


def confirmation(lead_id: str, wanted: dict[str, tuple[str, str]], held: dict[str, dict]) -> dict | Refusal:
    """Pure: which of `wanted` keys the lead takes, and from whose offers, given the stored identity keys
    `held` (key -> {"kind", "record_id", "offered"?}). A key another record holds as its own is refused:
    it is that record's contact (merge the two instead)."""
    taken = {key: doc for key, doc in held.items() if key in wanted and not doc.get("offered")
             and (doc["kind"], doc["record_id"]) != ("lead", lead_id)}
    if taken:
        fields = sorted({wanted[key][0] for key in taken})
        return Conflict("another lead or customer holds this contact method; merge them instead",
                        errors=[{"field": f, "message": "held by another record"} for f in fields])
    mine = {key for key, doc in held.items() if not doc.get("offered") and doc["record_id"] == lead_id}
    return {"added": sorted(k for k in wanted if k not in mine),
            "offered_elsewhere": {k: (doc["kind"], doc["record_id"]) for k, doc in held.items()
                                  if doc.get("offered") and (doc["kind"], doc["record_id"]) != ("lead", lead_id)}}


@blp.route("/leads/<lead_id>/contact-methods:confirm", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(ConfirmIn)
@blp.response(200, LeadOut)
def confirm_contact_methods(body, lead_id):
    """Make phones, emails or WeChat ids the lead's own (offered by a resubmission, or learnt on a call):
    from then on a submission with one is an exact duplicate of this lead."""
    lead = visible_lead(lead_id)  # an unknown lead is a 404 whatever the body says
    if not any(body.get(k) for k in PREFIXES):
        raise Invalid("the request has invalid fields", errors=[
            {"field": "phones", "message": "at least one of phones, emails or wechat_ids is required"}])
    if lead["status"] in ("converted", "merged"):  # its contact methods are its customer's or survivor's now
        raise Conflict(f"the lead is {lead['status']}: confirm the methods on the record it became")
    if not idempotency.kept_answer():
        rt = runtime()
        wanted = keys_of(body)
        rt.transaction(lambda session: _confirm(rt, session, lead_id, wanted))
    return visible_lead(lead_id)


def _confirm(rt, session, lead_id: str, wanted: dict) -> None:
    db, now = rt.db, rt.clock.now()
    held = {d["_id"]: d for d in db.identity_keys.find({"_id": {"$in": sorted(wanted)}}, session=session)}
    decided = confirmation(lead_id, wanted, held)
    if isinstance(decided, Refusal):
        raise decided
    added = decided["added"]
    if added:
        # an upsert whose filter no longer matches (the key confirmed elsewhere meanwhile) fails on the unique id
        db.identity_keys.bulk_write([UpdateOne({"_id": k, "$or": [{"offered": True}, {"record_id": lead_id}]}, {
            "$set": {"kind": "lead", "record_id": lead_id}, "$unset": {"offered": ""}}, upsert=True)
            for k in added], ordered=True, session=session)
    for key, (kind, record_id) in decided["offered_elsewhere"].items():
        (db.leads if kind == "lead" else db.customers).update_one(
            {"_id": record_id}, {"$pull": {"offered_keys": key}}, session=session)
    by_list: dict[str, list] = {}
    for plural, value in wanted.values():
        by_list.setdefault(plural, []).append(value)
    db.leads.update_one({"_id": lead_id}, {
        "$addToSet": {plural: {"$each": values} for plural, values in by_list.items()},
        "$pull": {"offered_keys": {"$in": sorted(wanted)}}, "$set": {"updated_at": now}}, session=session)
    if added:
        lead = db.leads.find_one({"_id": lead_id}, {"owner_id": 1}, session=session) or {}
        rt.publish(session, rt.event("crm.lead.contact_methods_confirmed", lead_id, {
            "lead_id": lead_id, "owner_id": lead.get("owner_id"), "added_keys": added,
            "by": g.principal.user_id, "confirmed_at": now.isoformat()}))
    idempotency.keep(db, session, {"confirmed": lead_id}, 200)

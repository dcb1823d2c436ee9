"""查重 before a call: would these contact details be a duplicate, and whose record is it?

A rep or a manager asks before working a contact found elsewhere; nothing is
stored, so asking twice changes nothing (防撞单 without creating a lead). The owner and the
record are named only within the caller's scope; otherwise "taken by a colleague". Limited
per user, so it cannot be used to walk the customer list.
"""
from __future__ import annotations

import marshmallow as ma
from flask import g

from crm_common import ratelimit
from crm_common.auth import require_user
from crm_common.web import Blueprint, runtime

from ..intake.schemas import LeadIn
from . import disclosure, matching, verdicts
from .schemas import Dedup

CHECKS_PER_MINUTE = 30
blp = Blueprint("lookup", __name__, url_prefix="/v1", description="Duplicate check without storing anything")


class CheckIn(LeadIn):
    name = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))


class CheckOut(Dedup):
    owner_id = ma.fields.String(allow_none=True, metadata={
        "description": "owner of the duplicated record, when it is within the caller's scope"})


@blp.route("/leads:check", methods=["POST"])
@require_user()
@blp.arguments(CheckIn)
@blp.response(200, CheckOut)
def check(body):
    rt = runtime()
    ratelimit.check(rt, f"check:{g.principal.user_id}", CHECKS_PER_MINUTE)
    draft = matching.draft_of(body, {"_id": None, "name": None})
    held, offered = matching.holders(rt.db, matching.keys_of(draft))
    # a method only offered to a record (not confirmed) names it as a possible duplicate, as intake would
    verdict = verdicts.exact(held) or verdicts.with_offers(matching.possible(rt, draft), verdicts.offered(offered))
    out = disclosure.for_user(rt.db, g.principal, verdict.explain())
    if "duplicate_of" in out:
        out["owner_id"] = owner_of(rt.db, verdict.duplicate_of.kind, verdict.duplicate_of.id)
    return out


def owner_of(db, kind: str, record_id: str, session=None) -> str | None:
    """The owner of a lead or a customer (lead intake's copy)."""
    collection = db.leads if kind == "lead" else db.customers
    record = collection.find_one({"_id": record_id}, {"owner_id": 1}, session=session) or {}
    return record.get("owner_id")

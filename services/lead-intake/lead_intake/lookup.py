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

from . import dedup, directory, disclosure, intake
from .schemas import Dedup, LeadIn

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
    draft = intake.draft_of(body, {"_id": None, "name": None})
    verdict = dedup.exact(intake.key_matches(rt.db, intake.keys_of(draft))) or intake.possible(rt, draft)
    out = disclosure.for_user(rt.db, g.principal, verdict.explain())
    if "duplicate_of" in out:
        out["owner_id"] = directory.owner_of(rt.db, verdict.duplicate_of.kind, verdict.duplicate_of.id)
    return out

"""查重 before a call: would these contact details be a duplicate, and whose record is it?

A rep or a manager asks before working a contact found elsewhere; nothing is
stored, so asking twice changes nothing (防撞单 without creating a lead).
"""
from __future__ import annotations

import marshmallow as ma

from crm_common.auth import require_user
from crm_common.web import Blueprint, runtime

from . import dedup, directory, intake
from .schemas import Dedup, LeadIn

blp = Blueprint("lookup", __name__, url_prefix="/v1", description="Duplicate check without storing anything")


class CheckIn(LeadIn):
    name = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))


class CheckOut(Dedup):
    owner_id = ma.fields.String(allow_none=True, metadata={"description": "owner of the duplicated record"})


@blp.route("/leads:check", methods=["POST"])
@require_user()
@blp.arguments(CheckIn)
@blp.response(200, CheckOut)
def check(body):
    rt = runtime()
    draft = intake.draft_of(body, {"_id": None, "name": None})
    verdict = dedup.exact(intake.key_matches(rt.db, intake.keys_of(draft))) or intake.possible(rt, draft)
    out = verdict.explain()
    if verdict.duplicate_of:
        out["owner_id"] = directory.owner_of(rt.db, verdict.duplicate_of.kind, verdict.duplicate_of.id)
    return out

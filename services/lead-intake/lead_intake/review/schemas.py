"""Request and response schemas of the review queue and the audit of merges."""
from __future__ import annotations

import marshmallow as ma

from crm_common.paging import PageArgs

from ..dedup.schemas import Candidate


class ReviewOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    lead_id = ma.fields.String()
    candidates = ma.fields.List(ma.fields.Nested(Candidate))
    status = ma.fields.String(metadata={"description": "open, merged or dismissed"})
    decided_by = ma.fields.String(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()


class ReviewQuery(PageArgs):
    status = ma.fields.String(load_default="open", validate=ma.validate.OneOf(("open", "merged", "dismissed")))


class ReviewMergeIn(ma.Schema):
    candidate_id = ma.fields.String(required=True)


class MergeOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    merged_id = ma.fields.String()
    survivor_id = ma.fields.String()
    survivor_kind = ma.fields.String()
    by = ma.fields.String()
    touchpoints_moved = ma.fields.Integer()
    merged_at = ma.fields.DateTime()

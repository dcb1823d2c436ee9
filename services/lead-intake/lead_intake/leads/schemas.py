"""Request and response schemas of the leads API: reading and working leads."""
from __future__ import annotations

import marshmallow as ma

from crm_common.paging import PageArgs, page_schema

from ..dedup.schemas import Dedup
from .states import DISQUALIFY_REASONS, LEAD_STATES

V = ma.validate


class LeadOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    company = ma.fields.String(allow_none=True)
    company_key = ma.fields.String(allow_none=True)
    title = ma.fields.String(allow_none=True)
    province = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    industry = ma.fields.String(allow_none=True)
    product_interest = ma.fields.String(allow_none=True)
    budget = ma.fields.Float(allow_none=True)
    phones = ma.fields.List(ma.fields.String())
    emails = ma.fields.List(ma.fields.String())
    wechat_ids = ma.fields.List(ma.fields.String())
    offered_keys = ma.fields.List(ma.fields.String(), load_default=list, dump_default=[], metadata={
        "description": "contact methods resubmissions offered and nobody confirmed yet (at most 5): they make a "
                       "later submission a possible duplicate of this lead, not an exact one; "
                       "POST /v1/leads/<id>/contact-methods:confirm makes them the lead's own"})
    channel_id = ma.fields.String()
    channel = ma.fields.String()
    campaign = ma.fields.String(allow_none=True)
    utm_source = ma.fields.String(allow_none=True)
    utm_medium = ma.fields.String(allow_none=True)
    utm_campaign = ma.fields.String(allow_none=True)
    utm_term = ma.fields.String(allow_none=True)
    utm_content = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    birthday = ma.fields.String(allow_none=True, metadata={"description": "YYYY-MM-DD"})
    marketing_consent = ma.fields.Boolean(allow_none=True)
    custom = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    status = ma.fields.String()
    disqualify_reason = ma.fields.String(allow_none=True)
    owner_id = ma.fields.String(allow_none=True)
    team_id = ma.fields.String(allow_none=True)
    score = ma.fields.Integer()
    bucket = ma.fields.String()
    score_parts = ma.fields.Dict()
    dedup = ma.fields.Nested(Dedup)
    merged_into = ma.fields.Dict(allow_none=True)
    touchpoints = ma.fields.Integer(attribute="touchpoint_count")
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class LeadQuery(PageArgs):
    status = ma.fields.String(validate=V.OneOf(LEAD_STATES))
    bucket = ma.fields.String(validate=V.OneOf(("hot", "warm", "cold")))
    owner_id = ma.fields.String()
    view = ma.fields.String(validate=V.OneOf(("all", "mine", "unassigned")), load_default="all")


LeadPage = page_schema(LeadOut, "LeadPage")


class AssignIn(ma.Schema):
    owner_id = ma.fields.String(required=True)


class DisqualifyIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=V.OneOf(DISQUALIFY_REASONS))
    note = ma.fields.String(validate=V.Length(max=1000))


class MergeIn(ma.Schema):
    into_id = ma.fields.String(required=True)
    into_kind = ma.fields.String(load_default="lead", validate=V.OneOf(("lead", "customer")))


class TouchpointOut(ma.Schema):
    channel_id = ma.fields.String(allow_none=True)
    channel = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime()
    payload = ma.fields.Dict(metadata={"description": "the submission as the channel sent it"})
    offered_keys = ma.fields.List(ma.fields.String(), metadata={
        "description": "contact methods this submission brought that the record did not hold: offered, "
                       "not identity keys until a user confirms them (contact-methods:confirm)"})


class CustomerTouchpointQuery(PageArgs):
    customer_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))


TouchpointPage = page_schema(TouchpointOut, "TouchpointPage")

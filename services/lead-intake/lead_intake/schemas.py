"""Request and response schemas of the lead-intake API."""
from __future__ import annotations

import marshmallow as ma

from crm_common.paging import PageArgs, page_schema

from crm_common.kernel import identity

V = ma.validate
MAX_CUSTOM_FIELDS = 20
DISQUALIFY_REASONS = ("invalid", "no_demand", "competitor", "unreachable", "other")
LEAD_STATES = ("new", "assigned", "contacted", "converted", "disqualified", "merged")


class ChannelIn(ma.Schema):
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=100))
    quality_weight = ma.fields.Integer(load_default=10, validate=V.Range(min=0, max=20))
    rate_limit_per_minute = ma.fields.Integer(load_default=600, validate=V.Range(min=1, max=100_000))


class ChannelPatch(ma.Schema):
    quality_weight = ma.fields.Integer(validate=V.Range(min=0, max=20))
    rate_limit_per_minute = ma.fields.Integer(validate=V.Range(min=1, max=100_000))


class ChannelOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    quality_weight = ma.fields.Integer()
    rate_limit_per_minute = ma.fields.Integer()
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    revoked_at = ma.fields.DateTime(allow_none=True)


class ChannelWithKey(ChannelOut):
    api_key = ma.fields.String(metadata={"description": "Shown only in this response; store it now."})


def _normalisable(normaliser):
    def check(value):
        try:
            normaliser(value)
        except identity.NotNormalisable as exc:
            raise ma.ValidationError(str(exc)) from exc
    return check


_phone = ma.fields.String(validate=[V.Length(max=40), _normalisable(identity.phone)])
_email = ma.fields.String(validate=[V.Length(max=254), _normalisable(identity.email)])


class LeadIn(ma.Schema):
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=100))
    phone = _phone
    phones = ma.fields.List(_phone, validate=V.Length(max=5))
    email = _email
    emails = ma.fields.List(_email, validate=V.Length(max=5))
    wechat_id = ma.fields.String(validate=V.Length(min=1, max=64))
    company = ma.fields.String(validate=V.Length(max=200))
    title = ma.fields.String(validate=V.Length(max=100))
    province = ma.fields.String(validate=V.Length(max=50))
    city = ma.fields.String(validate=V.Length(max=50))
    industry = ma.fields.String(validate=V.Length(max=100))
    product_interest = ma.fields.String(validate=V.Length(max=200))
    budget = ma.fields.Float(validate=V.Range(min=0))
    note = ma.fields.String(validate=V.Length(max=2000))
    birthday = ma.fields.Date()
    marketing_consent = ma.fields.Boolean()
    campaign = ma.fields.String(validate=V.Length(max=100))
    utm_source = ma.fields.String(validate=V.Length(max=200))
    utm_medium = ma.fields.String(validate=V.Length(max=200))
    utm_campaign = ma.fields.String(validate=V.Length(max=200))
    utm_term = ma.fields.String(validate=V.Length(max=200))
    utm_content = ma.fields.String(validate=V.Length(max=200))
    # keys become MongoDB field names: no dots, no $ (issue 12)
    custom = ma.fields.Dict(keys=ma.fields.String(validate=V.Regexp(r"^[A-Za-z0-9_-]{1,64}$",
                                                                   error="letters, digits, _ or -, at most 64")),
                            values=ma.fields.String(validate=V.Length(max=500)),
                            validate=V.Length(max=MAX_CUSTOM_FIELDS))

    @ma.validates_schema
    def _one_contact_method(self, data, **_):
        if not any(data.get(k) for k in ("phone", "phones", "email", "emails", "wechat_id")):
            raise ma.ValidationError("at least one of phone, email or wechat_id is required", "phone")

    @ma.post_load
    def _dates_as_text(self, data, **_):
        if data.get("birthday"):
            data["birthday"] = data["birthday"].isoformat()  # MongoDB stores datetimes, not dates
        return data


class BatchIn(ma.Schema):
    leads = ma.fields.List(ma.fields.Raw(), required=True, validate=V.Length(min=1, max=500))


class ImportQuery(ma.Schema):
    channel_id = ma.fields.String(required=True)


class Candidate(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String()
    score = ma.fields.Float()
    reason = ma.fields.String(metadata={"description": "the rule that matched (DOMAIN §1): same_company_key, "
                                        "same_brand_same_city, homophone_brand_same_city, latin_brand_same_city, "
                                        "similar_company_name_same_city"})
    compared = ma.fields.Dict(metadata={"description": "company_key, brand and sound as [submitted, candidate]; city"})
    scores = ma.fields.Dict(metadata={"description": "fuzzy ratios of company name and brand, and the threshold"})


class Dedup(ma.Schema):
    verdict = ma.fields.String(metadata={"description": "new, duplicate or possible_duplicate"})
    duplicate_of = ma.fields.String()
    duplicate_of_kind = ma.fields.String(metadata={"description": "lead or customer"})
    matched_keys = ma.fields.List(ma.fields.String())
    candidates = ma.fields.List(ma.fields.Nested(Candidate))
    taken_by_colleague = ma.fields.Boolean(metadata={
        "description": "a duplicate of a record outside the caller's scope, which is not named"})


class IntakeOut(ma.Schema):
    id = ma.fields.String(metadata={"description": "The lead the submission created; absent on a duplicate "
                                    "(dedup.duplicate_of names the record it joined, never to a channel: "
                                    "a channel gets the verdict only)"})
    dedup = ma.fields.Nested(Dedup)
    score = ma.fields.Integer()
    bucket = ma.fields.String()
    owner_id = ma.fields.String(allow_none=True)


class RowResult(ma.Schema):
    row = ma.fields.Integer()
    status = ma.fields.Integer()
    id = ma.fields.String(metadata={"description": "The lead this row created; absent on a duplicate, where "
                                    "dedup.duplicate_of and duplicate_of_kind name the lead or customer it joined "
                                    "(to a user who may see that record)"})
    dedup = ma.fields.Nested(Dedup)
    errors = ma.fields.List(ma.fields.Dict())


class BatchOut(ma.Schema):
    created = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(RowResult))


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

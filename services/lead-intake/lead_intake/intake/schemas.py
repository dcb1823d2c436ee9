"""Request and response schemas of taking leads in: a submission, a batch, a CSV import."""
from __future__ import annotations

import marshmallow as ma

from crm_common.kernel import identity

from ..dedup.schemas import Dedup

V = ma.validate
MAX_CUSTOM_FIELDS = 20


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
    # keys become MongoDB field names: no dots, no $
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

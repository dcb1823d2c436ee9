"""Request and response schemas of the lead-intake API."""
from __future__ import annotations

import marshmallow as ma

from . import normalise


class ChannelIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    quality_weight = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=0, max=20))


class ChannelOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    quality_weight = ma.fields.Integer()
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class ChannelCreated(ChannelOut):
    api_key = ma.fields.String(metadata={"description": "Shown only in this response; store it now."})


class LeadIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    phone = ma.fields.String(validate=ma.validate.Length(max=40))
    email = ma.fields.String(validate=ma.validate.Length(max=254))
    wechat_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    company = ma.fields.String(validate=ma.validate.Length(max=200))
    city = ma.fields.String(validate=ma.validate.Length(max=50))
    note = ma.fields.String(validate=ma.validate.Length(max=2000))

    @ma.validates("phone")
    def _phone(self, value, **_):
        _check(normalise.phone, value)

    @ma.validates("email")
    def _email(self, value, **_):
        _check(normalise.email, value)

    @ma.validates_schema
    def _one_contact_method(self, data, **_):
        if not any(data.get(k) for k in ("phone", "email", "wechat_id")):
            raise ma.ValidationError("at least one of phone, email or wechat_id is required", "phone")


def _check(normaliser, value):
    try:
        normaliser(value)
    except normalise.NotNormalisable as exc:
        raise ma.ValidationError(str(exc)) from exc


class Dedup(ma.Schema):
    verdict = ma.fields.String(metadata={"description": "new or duplicate"})
    duplicate_of = ma.fields.String()
    duplicate_of_kind = ma.fields.String(metadata={"description": "lead or customer"})
    matched_keys = ma.fields.List(ma.fields.String())


class LeadOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    company = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    phones = ma.fields.List(ma.fields.String())
    emails = ma.fields.List(ma.fields.String())
    wechat_ids = ma.fields.List(ma.fields.String())
    channel_id = ma.fields.String()
    status = ma.fields.String()
    owner_id = ma.fields.String(allow_none=True)
    touchpoints = ma.fields.Integer(attribute="touchpoint_count")
    created_at = ma.fields.DateTime()


class IntakeOut(ma.Schema):
    id = ma.fields.String(metadata={"description": "The lead the submission created or was attached to"})
    dedup = ma.fields.Nested(Dedup)

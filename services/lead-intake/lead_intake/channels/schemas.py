"""Request and response schemas of the channels API."""
from __future__ import annotations

import marshmallow as ma

V = ma.validate


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

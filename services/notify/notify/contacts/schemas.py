"""What the consent API reads and answers."""
import marshmallow as ma

from .store import CHANNELS


class ConsentIn(ma.Schema):
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    granted = ma.fields.Boolean(required=True)
    source = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))


class ConsentEntry(ma.Schema):
    granted = ma.fields.Boolean()
    source = ma.fields.String()
    at = ma.fields.DateTime()


class OptOut(ma.Schema):
    at = ma.fields.DateTime()
    source = ma.fields.String()


class ConsentOut(ma.Schema):
    contact_id = ma.fields.String(attribute="_id")
    kind = ma.fields.String()
    customer_id = ma.fields.String(allow_none=True)
    lead_id = ma.fields.String(allow_none=True)
    consent = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(ConsentEntry))
    suppressed = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(OptOut, allow_none=True))
    email_reachable = ma.fields.Boolean(metadata={"description": "an email address known and not bounced"})
    sms_reachable = ma.fields.Boolean(metadata={"description": "a mobile known and not failed"})

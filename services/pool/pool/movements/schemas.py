"""Request and response schemas of returns, transfers and the movement log."""
import marshmallow as ma

from crm_common.paging import PageArgs

from .log import KINDS


class TransferIn(ma.Schema):
    to_pool_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))


class ReturnIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    pool_id = ma.fields.String(validate=ma.validate.Length(min=1, max=100))


class MoveOut(ma.Schema):
    customer_id = ma.fields.String()
    pool_id = ma.fields.String()
    owner_id = ma.fields.String()
    status = ma.fields.String()


class MovementOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    kind = ma.fields.String()
    state = ma.fields.String(metadata={"description": "requested, done or refused (by the customer service)"})
    refusal = ma.fields.String(allow_none=True)
    customer_id = ma.fields.String()
    pool_id = ma.fields.String(allow_none=True)
    to_pool_id = ma.fields.String(allow_none=True)
    actor = ma.fields.String()
    user_id = ma.fields.String(allow_none=True)
    from_owner_id = ma.fields.String(allow_none=True)
    to_owner_id = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    rule = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime()


class MovementQuery(PageArgs):
    customer_id = ma.fields.String()
    pool_id = ma.fields.String()
    user_id = ma.fields.String()
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))

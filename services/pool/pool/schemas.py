"""Request and response schemas of the pool service."""
import marshmallow as ma

from crm_common.paging import PageArgs

from .movements import KINDS
from .rules import RulesIn, RulesOut

Ids = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=100)),
                     validate=ma.validate.Length(max=1000))


class PoolIn(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    member_user_ids = Ids
    member_department_ids = Ids
    admin_user_ids = Ids
    source_department_ids = Ids
    open_to_all = ma.fields.Boolean(metadata={"description": "every active user is a member"})
    rules = ma.fields.Nested(RulesIn)


class PoolPatch(PoolIn):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=100))


class PoolOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    member_user_ids = ma.fields.List(ma.fields.String())
    member_department_ids = ma.fields.List(ma.fields.String())
    admin_user_ids = ma.fields.List(ma.fields.String())
    source_department_ids = ma.fields.List(ma.fields.String())
    open_to_all = ma.fields.Boolean()
    rules = ma.fields.Nested(RulesOut)
    version = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class PreviewIn(ma.Schema):
    rules = ma.fields.Nested(RulesIn, required=True)


class PreviewRow(ma.Schema):
    customer_id = ma.fields.String()
    owner_id = ma.fields.String()
    rule = ma.fields.String()
    reclaim_due_at = ma.fields.DateTime()


class RepCount(ma.Schema):
    user_id = ma.fields.String()
    would_reclaim = ma.fields.Integer()
    later = ma.fields.Integer()


class PreviewOut(ma.Schema):
    pool_id = ma.fields.String()
    rules = ma.fields.Nested(RulesOut)
    now = ma.fields.DateTime()
    exempt = ma.fields.Integer(metadata={"description": "owned customers the rules exempt"})
    would_reclaim_count = ma.fields.Integer()
    would_reclaim = ma.fields.List(ma.fields.Nested(PreviewRow), metadata={"description": "due now (first 500)"})
    later_count = ma.fields.Integer()
    later = ma.fields.List(ma.fields.Nested(PreviewRow), metadata={"description": "when the others fall due"})
    per_rep = ma.fields.List(ma.fields.Nested(RepCount))


class EntryOut(ma.Schema):
    customer_id = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    pool_id = ma.fields.String(allow_none=True)
    owner_id = ma.fields.String(allow_none=True)
    previous_owner_id = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "owned, in_pool or deleted"})
    level = ma.fields.String(allow_none=True)
    lifecycle = ma.fields.String(allow_none=True)
    last_followup_at = ma.fields.DateTime(allow_none=True)
    owned_since = ma.fields.DateTime(allow_none=True)
    first_contact_due_at = ma.fields.DateTime(allow_none=True)
    reclaim_due_at = ma.fields.DateTime(allow_none=True)
    reclaim_rule = ma.fields.String(allow_none=True, metadata={"description": "the rule that will fire"})
    reclaimed_at = ma.fields.DateTime(allow_none=True)
    pending = ma.fields.Dict(allow_none=True,
                             metadata={"description": "a move the customer service has not applied yet"})


class EntryQuery(PageArgs):
    customer_id = ma.fields.String()
    status = ma.fields.String(validate=ma.validate.OneOf(["owned", "in_pool", "deleted"]))


class ClaimOut(ma.Schema):
    customer_id = ma.fields.String()
    owner_id = ma.fields.String()
    first_contact_due_at = ma.fields.DateTime(allow_none=True)


class AssignIn(ma.Schema):
    user_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    reason = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=500),
                              metadata={"description": "why this rep (kept in the movement log)"})


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

"""Response and query schemas of the tracked entries."""
import marshmallow as ma

from crm_common.paging import PageArgs


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
    last_won_at = ma.fields.DateTime(allow_none=True, metadata={"description": "when a deal was last won"})
    open_stages = ma.fields.List(ma.fields.String(), metadata={"description": "the stages of its open deals"})
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

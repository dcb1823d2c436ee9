"""What the inbox API reads and answers."""
import marshmallow as ma

from crm_common.paging import PageArgs


class ItemOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    kind = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    facts = ma.fields.Dict()
    suggested_next_step = ma.fields.String(allow_none=True)
    customer_id = ma.fields.String(allow_none=True)
    lead_id = ma.fields.String(allow_none=True)
    task_id = ma.fields.String(allow_none=True)  # a task's reminder or escalation
    due_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class InboxQuery(PageArgs):
    unread = ma.fields.Boolean()
    kind = ma.fields.String()


class CountOut(ma.Schema):
    count = ma.fields.Integer()

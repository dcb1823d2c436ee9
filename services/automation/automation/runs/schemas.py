"""Request and response schemas of the run log."""
import marshmallow as ma

from crm_common.paging import PageArgs

from ..engine.plan import STATUSES


class RunArgs(PageArgs):
    rule_id = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    record_id = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))


class RunOut(ma.Schema):
    id = ma.fields.String()
    rule_id = ma.fields.String()
    version = ma.fields.Integer()
    trigger_key = ma.fields.String(metadata={"description": "the event id (enroll:<kind>:<id> for an enrolled record)"})
    status = ma.fields.String(metadata={"description": ", ".join(STATUSES)})
    steps = ma.fields.List(ma.fields.Dict(), metadata={"description": "each action: its request, result, attempts, error"})
    conditions = ma.fields.List(ma.fields.Dict(), metadata={"description": "every clause, whether it held, and its values"})
    event_id = ma.fields.String(allow_none=True)
    event_type = ma.fields.String(allow_none=True)
    record = ma.fields.Dict()
    chain = ma.fields.List(ma.fields.String(), metadata={"description": "the runs that caused the event, oldest first"})
    reason = ma.fields.String(allow_none=True)
    repeats = ma.fields.Integer(metadata={"description": "how often the trigger came again (redelivered, rerun)"})
    attempts = ma.fields.Integer()
    at = ma.fields.DateTime()

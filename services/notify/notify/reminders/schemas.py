"""What the reminder settings API reads and answers."""
import marshmallow as ma

from ..preferences.schemas import HHMM
from .rules import EXTRA_KINDS, KINDS

Days = ma.fields.Integer(validate=ma.validate.Range(min=0, max=3650))


class Cadences(ma.Schema):
    A = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365))
    B = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365))
    C = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365))


class ReminderSettings(ma.Schema):
    cadence_days = ma.fields.Nested(Cadences)
    overdue_after_days = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365))
    escalation_second_step_days = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=365))
    lead_response_hours = ma.fields.Integer(validate=ma.validate.Range(min=1, max=24 * 30))
    pool_first_contact_hours = ma.fields.Integer(validate=ma.validate.Range(min=1, max=24 * 30))
    renewal_days_before = ma.fields.List(Days, validate=ma.validate.Length(min=0, max=10))
    birthday_days_before = Days
    birthday_calendar = ma.fields.String(validate=ma.validate.OneOf(["solar", "lunar"]))
    anniversary_days_before = Days
    send_at_local = ma.fields.String(validate=HHMM)
    high_value_grades = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(["large", "normal", "small"])))
    critical_kinds = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(KINDS + EXTRA_KINDS)))
    approval_reminder_hours = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=24 * 30))
    retry_seconds = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=1, max=7 * 86400)),
                                   validate=ma.validate.Length(max=20))

"""What the deliveries API reads and answers."""
import marshmallow as ma

from crm_common.paging import PageArgs


class DeliveryOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    key = ma.fields.String()
    channel = ma.fields.String()
    robot_id = ma.fields.String(allow_none=True)
    subscription_id = ma.fields.String(allow_none=True)
    user_id = ma.fields.String()
    kind = ma.fields.String()
    customer_id = ma.fields.String(allow_none=True)
    lead_id = ma.fields.String(allow_none=True)
    title = ma.fields.String()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.DateTime(allow_none=True)
    sent_at = ma.fields.DateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)


class DeliveryQuery(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(
        ["waiting", "pending", "sending", "sent", "failed", "parked", "refused"]))
    channel = ma.fields.String(validate=ma.validate.OneOf(["email", "robot", "webhook", "subscription", "rule_webhook"]))

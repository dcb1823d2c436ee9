"""What the deliveries API reads and answers."""
import marshmallow as ma

from crm_common.paging import PageArgs


class Receipt(ma.Schema):
    status = ma.fields.String(metadata={"description": "delivered or failed"})
    code = ma.fields.String(metadata={"description": "the provider's code, e.g. DELIVERED, MOBILE_NOT_ON_SERVICE"})
    at = ma.fields.DateTime()


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
    provider_message_id = ma.fields.String(allow_none=True, metadata={"description": "An SMS: the provider's id"})
    receipt = ma.fields.Nested(Receipt, allow_none=True, metadata={"description": "An SMS: the provider's receipt"})


class DeliveryQuery(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(
        ["waiting", "pending", "sending", "sent", "failed", "parked", "refused"]))
    channel = ma.fields.String(validate=ma.validate.OneOf(["email", "robot", "webhook", "subscription", "rule_webhook", "sms",
                                                            "dingtalk_work", "wecom_app"]))

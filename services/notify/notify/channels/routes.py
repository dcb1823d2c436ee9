"""Admin API of notify: reminder settings, SMTP, robots and webhooks, deliveries."""
import marshmallow as ma
from flask import request

from crm_common.auth import require_user
from crm_common.errors import Problem
from crm_common.idempotency import idempotent
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import Blueprint, runtime

from ..deliveries import outbound as deliveries
from ..inbox.routes import HHMM
from ..reminders import settings as config
from . import robots

blp = Blueprint("notify-admin", __name__, url_prefix="/v1", description="Reminder settings, channels, deliveries")
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
    critical_kinds = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(config.KINDS + config.EXTRA_KINDS)))
    retry_seconds = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=1, max=7 * 86400)),
                                   validate=ma.validate.Length(max=20))


@blp.route("/settings/reminders", methods=["GET"])
@require_user("admin")
@blp.response(200, ReminderSettings)
def get_reminder_settings():
    return config.reminder_settings(runtime())


@blp.route("/settings/reminders", methods=["PUT"])
@require_user("admin")
@blp.arguments(ReminderSettings)
@blp.response(200, ReminderSettings)
def put_reminder_settings(body):
    """Applies to reminders planned from now on (each customer's plan is recomputed on its next event)."""
    return config.put_reminder_settings(runtime(), body)


class SmtpIn(ma.Schema):
    host = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    port = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=65535))
    from_ = ma.fields.Email(required=True, data_key="from")
    username = ma.fields.String(allow_none=True)
    password = ma.fields.String(allow_none=True, load_only=True)
    starttls = ma.fields.Boolean(load_default=False)


class SmtpOut(SmtpIn):
    has_password = ma.fields.Boolean()


def _smtp_view(stored):
    if not stored:
        raise Problem(404, "SMTP is not configured")
    return {**{k: v for k, v in stored.items() if k != "password"}, "from_": stored.get("from"),
            "has_password": bool(stored.get("password"))}


@blp.route("/settings/smtp", methods=["GET"])
@require_user("admin")
@blp.response(200, SmtpOut)
def get_smtp():
    return _smtp_view(config.smtp_settings(runtime()))


@blp.route("/settings/smtp", methods=["PUT"])
@require_user("admin")
@blp.arguments(SmtpIn)
@blp.response(200, SmtpOut)
def put_smtp(body):
    body["from"] = body.pop("from_")
    return _smtp_view(config.put_smtp_settings(runtime(), body))


class RobotIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(robots.KINDS))
    url = ma.fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    secret = ma.fields.String(allow_none=True, load_only=True, validate=ma.validate.Length(max=500))
    user_ids = ma.fields.List(ma.fields.String(), load_default=list)
    department_ids = ma.fields.List(ma.fields.String(), load_default=list)


class RobotOut(RobotIn):
    id = ma.fields.String(attribute="_id")
    has_secret = ma.fields.Function(lambda r: bool(r.get("secret")))


@blp.route("/robots", methods=["POST"])
@require_user("admin")
@idempotent
@blp.arguments(RobotIn)
@blp.response(201, RobotOut)
def create_robot(body):
    return robots.create(runtime(), body)


@blp.route("/robots", methods=["GET"])
@require_user("admin")
@blp.response(200, RobotOut(many=True))
def list_robots():
    return list(runtime().db.robots.find({"active": True}).sort("_id", 1))


@blp.route("/robots/<robot_id>", methods=["DELETE"])
@require_user("admin")
@blp.response(204)
def delete_robot(robot_id):
    if not runtime().db.robots.update_one({"_id": robot_id}, {"$set": {"active": False}}).matched_count:
        raise Problem(404, "no such robot")


class DeliveryOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    key = ma.fields.String()
    channel = ma.fields.String()
    robot_id = ma.fields.String(allow_none=True)
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
    status = ma.fields.String(validate=ma.validate.OneOf(["pending", "sending", "sent", "failed", "parked"]))
    channel = ma.fields.String(validate=ma.validate.OneOf(["email", "robot", "webhook"]))


@blp.route("/deliveries", methods=["GET"])
@require_user("admin")
@blp.arguments(DeliveryQuery, location="query")
@blp.response(200, page_schema(DeliveryOut, "DeliveryPage"))
def list_deliveries(args):
    query = {k: args[k] for k in ("status", "channel") if args.get(k)}
    return page(runtime().db.deliveries, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/deliveries/<delivery_id>/retry", methods=["POST"])
@require_user("admin")
@blp.response(200, DeliveryOut)
def retry_delivery(delivery_id):
    retried = deliveries.retry(runtime(), delivery_id)
    if retried is None:
        known = runtime().db.deliveries.find_one({"_id": delivery_id}, {"status": 1})
        if known is None:
            raise Problem(404, "no such delivery")
        raise Problem(409, f"only a parked or failed delivery can be retried; this one is {known['status']}",
                      reason="not_retryable")
    return retried

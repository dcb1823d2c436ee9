"""The admin's channels: the SMTP server, group robots and webhooks, and which private hosts they may reach."""
from crm_common import audit, concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.kernel.refusals import NotFound
from crm_common.web import runtime

from ..api import admin as blp
from . import reach, robots, smtp
from .schemas import OutboundIn, OutboundOut, RobotIn, RobotOut, SmtpIn, SmtpOut


def _smtp_view(stored):
    if not stored:
        raise NotFound("SMTP is not configured")
    return {**{k: v for k, v in stored.items() if k != "password"}, "from_": stored.get("from"),
            "has_password": bool(stored.get("password"))}


@blp.route("/settings/smtp", methods=["GET"])
@require_user("admin")
@blp.response(200, SmtpOut)
def get_smtp():
    return _with_etag(_smtp_view(smtp.smtp_settings(runtime())))


@blp.route("/settings/smtp", methods=["PUT"])
@require_user("admin")
@concurrency.documented(required=False, when="Needed once SMTP is set. ")
@blp.arguments(SmtpIn)
@blp.response(200, SmtpOut)
def put_smtp(body):
    """The first PUT needs no If-Match; every later one needs the ETag last read."""
    rt = runtime()
    expected = concurrency.expected_versions(required=smtp.smtp_settings(rt) is not None)
    body["from"] = body.pop("from_")
    reach.check_host(rt, body["host"], body["port"], "host")
    return _with_etag(_smtp_view(smtp.put_smtp_settings(rt, body, expected)))


def _with_etag(view: dict):
    return view, 200, {"ETag": concurrency.etag(view.get("version", 0))}


@blp.route("/robots", methods=["POST"])
@require_user("admin")
@idempotent
@blp.arguments(RobotIn)
@blp.response(201, RobotOut)
def create_robot(body):
    reach.check_url(runtime(), body["url"])
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
    rt = runtime()
    robot = rt.db.robots.find_one({"_id": robot_id})
    if robot is None:
        raise NotFound("no such robot")
    if robot.get("active"):  # deleting it again changes nothing, and leaves no second trace
        audit.recorded(rt, "robot", robot_id, robot, None,
                       lambda session: rt.db.robots.update_one({"_id": robot_id}, {"$set": {"active": False}},
                                                               session=session))


@blp.route("/settings/outbound", methods=["GET"])
@require_user("admin")
@blp.response(200, OutboundOut)
def get_outbound():
    current = reach.view(reach.stored(runtime()))
    return current, 200, {"ETag": concurrency.etag(current["version"])}


@blp.route("/settings/outbound", methods=["PUT"])
@require_user("admin")
@blp.arguments(OutboundIn)
@blp.response(200, OutboundOut)
def put_outbound(body):
    """Robot, webhook and SMTP hosts inside (loopback, private, link-local) are refused unless listed here."""
    rt = runtime()
    exists = reach.view(reach.stored(rt))["version"] > 0
    saved = reach.put(rt, body["allowed_private_hosts"], concurrency.expected_versions(required=exists))
    return saved, 200, {"ETag": concurrency.etag(saved["version"])}

"""The notify service's HTTP API for every user: their own inbox and preferences."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from flask import g

from crm_common.auth import require_user
from crm_common.errors import Problem
from crm_common.paging import PageArgs, page, page_schema
from crm_common.web import Blueprint, runtime

from ..preferences import store as prefs
from ..reminders import settings as config

blp = Blueprint("inbox", __name__, url_prefix="/v1", description="The caller's in-app notifications and preferences")
HHMM = ma.validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="HH:MM, 24-hour")


class ItemOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    kind = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    facts = ma.fields.Dict()
    suggested_next_step = ma.fields.String(allow_none=True)
    customer_id = ma.fields.String(allow_none=True)
    lead_id = ma.fields.String(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class InboxQuery(PageArgs):
    unread = ma.fields.Boolean()
    kind = ma.fields.String()


class CountOut(ma.Schema):
    count = ma.fields.Integer()


@blp.route("/inbox", methods=["GET"])
@require_user()
@blp.arguments(InboxQuery, location="query")
@blp.response(200, page_schema(ItemOut, "InboxPage"))
def list_inbox(args):
    query = {"user_id": g.principal.user_id}
    if args.get("unread"):
        query["read_at"] = None
    if args.get("kind"):
        query["kind"] = args["kind"]
    return page(runtime().db.inbox, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/inbox/unread-count", methods=["GET"])
@require_user()
@blp.response(200, CountOut)
def unread_count():
    return {"count": runtime().db.inbox.count_documents({"user_id": g.principal.user_id, "read_at": None})}


@blp.route("/inbox/<item_id>/read", methods=["POST"])
@require_user()
@blp.response(200, ItemOut)
def mark_read(item_id):
    rt = runtime()
    rt.db.inbox.update_one({"_id": item_id, "user_id": g.principal.user_id, "read_at": None},
                           {"$set": {"read_at": rt.clock.now()}})
    item = rt.db.inbox.find_one({"_id": item_id, "user_id": g.principal.user_id})
    if item is None:
        raise Problem(404, "no such inbox item")  # someone else's item looks the same as none
    return item


class QuietHours(ma.Schema):
    start = ma.fields.String(required=True, validate=HHMM)
    end = ma.fields.String(required=True, validate=HHMM)


def _channels(value):
    for kind, chosen in value.items():
        if kind != "default" and kind not in config.KINDS + config.EXTRA_KINDS:
            raise ma.ValidationError(f"unknown reminder kind {kind!r}")
        if not isinstance(chosen, list) or any(c not in prefs.CHANNELS for c in chosen):
            raise ma.ValidationError(f"{kind}: a list of {', '.join(prefs.CHANNELS)}")


def _zone(value):
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ma.ValidationError("an IANA time zone, e.g. Asia/Shanghai") from exc


class PreferencesIn(ma.Schema):
    channels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                              validate=_channels)
    email = ma.fields.Email(allow_none=True)
    language = ma.fields.String(validate=ma.validate.OneOf(["zh", "en"]))
    timezone = ma.fields.String(validate=_zone)
    quiet_hours = ma.fields.Nested(QuietHours, allow_none=True)


class PreferencesOut(PreferencesIn):
    user_id = ma.fields.String()


@blp.route("/preferences/me", methods=["GET"])
@require_user()
@blp.response(200, PreferencesOut)
def my_preferences():
    uid = g.principal.user_id
    return {"user_id": uid, **prefs.of(runtime(), [uid])[uid]}


@blp.route("/preferences/me", methods=["PUT"])
@require_user()
@blp.arguments(PreferencesIn)
@blp.response(200, PreferencesOut)
def put_my_preferences(body):
    uid = g.principal.user_id
    if "channels" in body:
        body["channels"] = {"default": ["inbox"], **body["channels"]}
    return {"user_id": uid, **prefs.put(runtime(), uid, body)}

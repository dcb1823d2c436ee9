"""The admin's reminder settings: read with their ETag, changed with If-Match (the defaults count)."""
from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.web import runtime

from ..api import admin as blp
from . import settings
from .schemas import ReminderSettings


@blp.route("/settings/reminders", methods=["GET"])
@require_user("admin")
@blp.response(200, ReminderSettings)
def get_reminder_settings():
    rt = runtime()
    return settings.reminder_settings(rt), 200, {"ETag": concurrency.etag(settings.version(rt))}


@blp.route("/settings/reminders", methods=["PUT"])
@require_user("admin")
@concurrency.documented(when="The defaults count as a version (ETag \"0\"). ")
@blp.arguments(ReminderSettings)
@blp.response(200, ReminderSettings)
def put_reminder_settings(body):
    """Applies to reminders planned from now on (each customer's plan is recomputed on its next event)."""
    rt = runtime()
    saved = settings.put_reminder_settings(rt, body, concurrency.expected_versions())
    return saved, 200, {"ETag": concurrency.etag(settings.version(rt))}

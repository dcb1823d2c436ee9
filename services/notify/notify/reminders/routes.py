"""The admin's reminder settings."""
from crm_common.auth import require_user
from crm_common.web import runtime

from ..api import admin as blp
from . import settings
from .schemas import ReminderSettings


@blp.route("/settings/reminders", methods=["GET"])
@require_user("admin")
@blp.response(200, ReminderSettings)
def get_reminder_settings():
    return settings.reminder_settings(runtime())


@blp.route("/settings/reminders", methods=["PUT"])
@require_user("admin")
@blp.arguments(ReminderSettings)
@blp.response(200, ReminderSettings)
def put_reminder_settings(body):
    """Applies to reminders planned from now on (each customer's plan is recomputed on its next event)."""
    return settings.put_reminder_settings(runtime(), body)

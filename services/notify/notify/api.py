"""The HTTP API's two blueprints, the tags of its OpenAPI document: every user's inbox and preferences,
and the admin's reminder settings, channels and deliveries. Each capability's routes module adds its
routes to one of them; service.py imports those modules in the order the document lists them."""
from crm_common.web import Blueprint

inbox = Blueprint("inbox", __name__, url_prefix="/v1", description="The caller's in-app notifications and preferences")
admin = Blueprint("notify-admin", __name__, url_prefix="/v1", description="Reminder settings, channels, deliveries")
# Pages a recipient outside the company opens from a message, with no login (the unsubscribe link).
public = Blueprint("unsubscribe", __name__, description="Unsubscribe links of marketing email (no login)")

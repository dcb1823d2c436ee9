"""One SMS delivery row (to a contact: `recipient.address` is the mobile) through the configured provider."""
from __future__ import annotations

from ..network import SendError
from . import providers


def send(rt, row: dict, allowed: list[str]) -> dict:
    """Send the row's text; the fields its record keeps (the provider and its message id, which receipts name)."""
    mobile = (row.get("recipient") or {}).get("address") or row.get("to")
    if not mobile:
        raise SendError("the contact has no mobile number")
    setting = providers.config(rt)
    text = row.get("text") or row.get("body") or row.get("title") or ""
    message_id = providers.send(rt, setting, mobile, text, row["_id"], allowed)
    return {"provider": setting["provider"], "provider_message_id": message_id}

"""One SMS delivery row (to a contact: `recipient.address` is the mobile) through the configured provider."""
from __future__ import annotations

from ...contacts import suppression
from ..network import SendError
from ..sdk_http import Refused
from . import providers


def send(rt, row: dict, allowed: list[str]) -> dict:
    """The row's outcome: sent, with what its record keeps (the provider and its message id, which
    receipts name); or refused for good when the provider says the number does not exist, SMS to the
    contact then stopped. Any other failure raises SendError: retried, then parked."""
    mobile = (row.get("recipient") or {}).get("address") or row.get("to")
    if not mobile:
        raise SendError("the contact has no mobile number")
    setting = providers.config(rt)
    text = row.get("text") or row.get("body") or row.get("title") or ""
    try:
        message_id = providers.send(rt, setting, mobile, text, row["_id"], allowed)
    except Refused as refused:
        contact_id = (row.get("recipient") or {}).get("contact_id")
        if refused.code not in providers.stop_codes(setting) or not contact_id:
            raise
        rt.transaction(lambda session: suppression.stop_channel(rt, session, contact_id=contact_id, channel="sms",
                                                                reason=f"sms {refused.code}"))
        return {"ok": False, "refused": f"the number is invalid ({refused.code}); SMS to the contact stopped"}
    return {"ok": True, "fields": {"provider": setting["provider"], "provider_message_id": message_id}}

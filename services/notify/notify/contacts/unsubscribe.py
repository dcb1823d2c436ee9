"""The signed one-click unsubscribe link of every marketing email (RFC 8058).

The token seals the contact and the channel under notify's sealing key (channels/sealing.py:
Fernet, so it is signed and cannot be made up or changed), and the link works with no login.
`NOTIFY_PUBLIC_URL` is where recipients reach notify's `/u/<token>` (https in production: mail
providers make the one-click POST only to an https link).
"""
from __future__ import annotations

import json

from crm_common.kernel.refusals import NotFound
from crm_common.sealed import Tampered

from ..channels import sealing
from . import store, suppression

PUBLIC_URL, DEFAULT_PUBLIC_URL = "NOTIFY_PUBLIC_URL", "http://localhost:8004"
CONTEXT = "unsubscribe"


def token(rt, contact_id: str, channel: str) -> str:
    return sealing.seal(rt, json.dumps({"contact_id": contact_id, "channel": channel}), CONTEXT).decode()


def link(rt, contact_id: str, channel: str) -> str:
    base = rt.settings.value(PUBLIC_URL, DEFAULT_PUBLIC_URL).rstrip("/")
    return f"{base}/u/{token(rt, contact_id, channel)}"


def opened(rt, raw: str) -> dict:
    """{"contact_id", "channel"} of a token; NotFound for one that was not made here (or was changed)."""
    try:
        named = json.loads(sealing.unseal(rt, raw.encode("ascii"), CONTEXT))
    except (Tampered, UnicodeEncodeError, ValueError):
        raise NotFound("this unsubscribe link is not valid") from None
    if not isinstance(named, dict) or named.get("channel") not in store.CHANNELS:
        raise NotFound("this unsubscribe link is not valid")
    return named


def unsubscribe(rt, raw: str) -> dict:
    """The opt-out the link names; a second POST changes nothing."""
    named = opened(rt, raw)
    rt.transaction(lambda session: suppression.suppress(
        rt, session, channel=named["channel"], contact_id=named["contact_id"], source="unsubscribe_link"))
    return named

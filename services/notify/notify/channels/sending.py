"""What every outbound send shares: one network call under a total deadline (network.py), the text a
message shows, header values made safe, and SendError for a receiver that refused or could not be reached.

The occurrence key travels with email and webhooks (the Message-ID, `webhook-id`) so a receiver can
drop a repeat: after a worker dies mid-send the outcome is unknown, and those two are sent again
with the same id (robots are parked).
"""
from __future__ import annotations

import json
import unicodedata
from urllib.parse import urlsplit

from . import network
from .network import DEADLINE, SendError

TIMEOUT = DEADLINE  # seconds a whole send may take: a slow receiver delays one delivery, not the queue


def header_value(value) -> str:
    """A header value with no control character or line separator (CR, LF, U+2028, ...), each made a
    space: a customer named `Acme\u2028Co` must not make the email library refuse the message."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in str(value)).strip()


def text_of(d: dict) -> str:
    lines = [d["title"], d["body"]]
    if d.get("suggested_next_step"):
        lines.append(f"→ {d['suggested_next_step']}")
    return "\n".join(lines)


def post(url: str, raw: bytes, headers: dict, check, allowed: list[str], deadline=None) -> None:
    """POST `raw` to a URL whose host is checked now, at send time; `check` reads the JSON reply (an
    empty or unreadable one as {}) and may raise SendError. Any answer but 2xx is a failure. `deadline`:
    the send's, when this POST is one step of it (a token fetched first)."""
    try:
        status, _, text = network.http_request("POST", urlsplit(url), raw,
                                               {k: header_value(v) for k, v in headers.items()}, allowed, deadline)
    except Exception as exc:  # noqa: BLE001 - any transport failure is a retry
        raise SendError(network.failure(exc)) from None
    if not 200 <= status < 300:
        kind = "redirect not followed" if 300 <= status < 400 else "HTTPError"
        raise SendError(f"{kind}: status {status}")
    try:
        reply = json.loads(text) if text.strip() else {}
    except ValueError:
        reply = {}
    check(reply if isinstance(reply, dict) else {})

"""What every outbound send shares: one network call with a short timeout, the text a message shows,
and SendError for a receiver that refused or could not be reached.

The occurrence key travels with email and webhooks (the Message-ID, `webhook-id`) so a receiver can
drop a repeat: after a worker dies mid-send the outcome is unknown, and those two are sent again
with the same id (robots are parked).
"""
from __future__ import annotations

import json
import urllib.request

TIMEOUT = 5.0  # seconds per call: a slow receiver delays one delivery, not the queue


class SendError(RuntimeError):
    """The receiver refused or could not be reached; the delivery is retried later."""


def text_of(d: dict) -> str:
    lines = [d["title"], d["body"]]
    if d.get("suggested_next_step"):
        lines.append(f"→ {d['suggested_next_step']}")
    return "\n".join(lines)


def post(url: str, raw: bytes, headers: dict, check) -> None:
    """POST `raw`; `check` reads the JSON reply (an empty or unreadable one as {}) and may raise SendError."""
    request = urllib.request.Request(url, data=raw, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            text = response.read(65536)
    except Exception as exc:  # noqa: BLE001 - any transport failure is a retry
        raise SendError(f"{type(exc).__name__}: {exc}") from exc
    try:
        reply = json.loads(text) if text.strip() else {}
    except ValueError:
        reply = {}
    check(reply if isinstance(reply, dict) else {})

"""Request and trace ids carried through logs, responses and events (W3C traceparent)."""
from __future__ import annotations

import contextvars
import re
import secrets

request_id_var = contextvars.ContextVar("request_id", default=None)
traceparent_var = contextvars.ContextVar("traceparent", default=None)

# All-zero trace and parent ids are invalid (W3C Trace Context).
_TRACEPARENT = re.compile(r"^00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-[0-9a-f]{2}$")


def new_traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def continue_trace(incoming: str | None) -> str:
    """A child span of a valid incoming traceparent, or a new trace."""
    match = _TRACEPARENT.match(incoming if isinstance(incoming, str) else "")
    return new_traceparent(match.group(1) if match else None)


def trace_id(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def current_traceparent() -> str:
    return traceparent_var.get() or new_traceparent()

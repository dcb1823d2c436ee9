"""What a subscription may ask for: event types, exact or `prefix.*`, and a Standard Webhooks secret
(`whsec_` + base64 of 24 to 64 bytes). Pure."""
from __future__ import annotations

import base64
import binascii
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # the Standard Webhooks spec's range


def matches(event_type: str, patterns: list[str]) -> bool:
    """Whether `event_type` is named by one of `patterns` (an exact type, or `prefix.*`)."""
    return any(event_type == p or (p.endswith(".*") and event_type.startswith(p[:-1])) for p in patterns)


def unknown_patterns(patterns: list[str], known: list[str]) -> list[str]:
    """The patterns that match no type in `known`: a typo would otherwise never deliver anything."""
    return [p for p in patterns if not any(matches(t, [p]) for t in known)]


def secret_problem(secret: str) -> str | None:
    """Why `secret` is not a Standard Webhooks secret, or None."""
    if not secret.startswith(SECRET_PREFIX):
        return f"must start with {SECRET_PREFIX}"
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return f"must be {SECRET_PREFIX} followed by base64"
    low, high = SECRET_BYTES
    if not low <= len(key) <= high:
        return f"must encode {low} to {high} bytes"
    return None


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()

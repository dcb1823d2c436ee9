"""Tracked links in a step's email: each link goes through notify's signed redirect `GET /c/<token>`,
which counts the click as the contact's signal (a click goal ends the enrollment) and sends the reader
on to the link. Only links notify signed redirect, so it is no open redirect."""
from __future__ import annotations

import html
import re

from itsdangerous import BadSignature, URLSafeSerializer

from ..contacts import unsubscribe

LINK = re.compile(r"https?://[^\s\"'<>]+")
SALT = "notify-sequence-click"


def _signer(rt) -> URLSafeSerializer:
    return URLSafeSerializer(rt.settings.jwt_secret, salt=SALT)


def tracked(rt, body: str, enrollment_id: str) -> str:
    """`body` with every link replaced by its tracked redirect."""
    base = rt.settings.value(unsubscribe.PUBLIC_URL, unsubscribe.DEFAULT_PUBLIC_URL).rstrip("/")
    return LINK.sub(lambda m: f"{base}/c/{_signer(rt).dumps([enrollment_id, html.unescape(m.group(0))])}", body)


def opened(rt, token: str) -> tuple[str, str] | None:
    """(enrollment id, link) of a token notify signed, else None."""
    try:
        enrollment_id, link = _signer(rt).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return (enrollment_id, link) if LINK.fullmatch(link) else None

"""Email over SMTP: the server an admin sets (its password sealed at rest) and the send."""
from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage

from crm_common.sealed import Tampered

from . import sealing
from .sending import TIMEOUT, SendError, text_of


def smtp_settings(rt) -> dict | None:
    return rt.db.settings.find_one({"_id": "smtp"})


def smtp_for_sending(rt) -> dict | None:
    """The SMTP settings with the password opened, for the one send that needs it."""
    stored = smtp_settings(rt)
    if stored is None:
        return None
    try:
        return {**stored, "password": sealing.unseal(rt, stored.get("password"), "smtp")}
    except Tampered:
        return {**stored, "password": None, "unreadable": "the stored SMTP password no longer opens; set it again"}


def put_smtp_settings(rt, smtp: dict) -> dict:
    fields = {k: smtp.get(k) for k in ("host", "port", "from", "username", "starttls")}
    if "password" in smtp:  # left out: the stored one stays, so an admin need not type it again
        fields["password"] = sealing.seal(rt, smtp["password"], "smtp")
    rt.db.settings.update_one({"_id": "smtp"}, {"$set": fields}, upsert=True)
    return smtp_settings(rt)


def send_email(smtp: dict | None, d: dict) -> None:
    if not smtp or not smtp.get("host"):
        raise SendError("SMTP is not configured")
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = d["title"], smtp["from"], d["to"]
    message["Message-ID"] = f"<{hashlib.sha256(d['key'].encode()).hexdigest()[:32]}@crm.notify>"  # same on a resend
    message["X-CRM-Occurrence"] = d["key"]
    message.set_content(text_of(d))
    try:
        with smtplib.SMTP(smtp["host"], int(smtp.get("port") or 25), timeout=TIMEOUT) as client:
            if smtp.get("starttls"):
                client.starttls()
            if smtp.get("username"):
                client.login(smtp["username"], smtp.get("password") or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from exc

"""Email over SMTP: the server an admin sets (its password sealed at rest) and the send."""
from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage

from crm_common import audit, concurrency
from crm_common.sealed import Tampered

from . import network, sealing
from .sending import SendError, header_value, text_of


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


def put_smtp_settings(rt, smtp: dict, expected: frozenset[int] | None = None) -> dict:
    """Set the server if the stored settings' version is one of `expected` (If-Match; None: any)."""
    fields = {k: smtp.get(k) for k in ("host", "port", "from", "username", "starttls")}
    if "password" in smtp:  # left out: the stored one stays, so an admin need not type it again
        fields["password"] = sealing.seal(rt, smtp["password"], "smtp")

    def work(session):  # the change and its audit row (the password masked) commit together
        before = rt.db.settings.find_one({"_id": "smtp"}, session=session)
        concurrency.check({"version": (before or {}).get("version", 0)}, expected)
        rt.db.settings.update_one({"_id": "smtp"}, {"$set": fields, "$inc": {"version": 1}}, upsert=True,
                                  session=session)
        audit.record(rt, session, "smtp", "smtp", before, rt.db.settings.find_one({"_id": "smtp"}, session=session))
    rt.transaction(work)
    return smtp_settings(rt)


def send_email(smtp: dict | None, d: dict, allowed: list[str]) -> None:
    """One email, to the server's checked address within the send's deadline. Header values are made
    safe first (a name with a line separator is a subject like any other)."""
    if not smtp or not smtp.get("host"):
        raise SendError("SMTP is not configured")
    message = EmailMessage()
    message["Subject"], message["From"] = header_value(d["title"]), header_value(smtp["from"])
    message["To"] = header_value(d["to"])
    message["Message-ID"] = f"<{hashlib.sha256(d['key'].encode()).hexdigest()[:32]}@crm.notify>"  # same on a resend
    message["X-CRM-Occurrence"] = header_value(d["key"])
    for name, value in (d.get("headers") or {}).items():  # e.g. a contact's List-Unsubscribe (RFC 8058)
        message[name] = header_value(value)
    message.set_content(d.get("text") or text_of(d))
    if d.get("html"):
        message.add_alternative(d["html"], subtype="html")
    for attached in d.get("attachments") or []:  # e.g. a quote's PDF (notify/transactional)
        kind, _, sub = attached["content_type"].partition("/")
        message.add_attachment(bytes(attached["content"]), maintype=kind, subtype=sub, filename=attached["filename"])
    port = int(smtp.get("port") or 25)
    try:
        with network.Deadline() as deadline:
            found = network.checked(smtp["host"], port, allowed, deadline)
            with network.PinnedSMTP(found, deadline) as client:
                client.connect(smtp["host"], port)
                if smtp.get("starttls"):
                    client.starttls()
                if smtp.get("username"):
                    client.login(smtp["username"], smtp.get("password") or "")
                client.send_message(message)
    except Exception as exc:  # noqa: BLE001 - any failure of this send is a retry, never the sender's end
        raise SendError(network.failure(exc)) from None

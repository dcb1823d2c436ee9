"""Outbound channels: SMTP email, DingTalk / WeCom / Feishu group robots, Standard Webhooks.

Each send is one network call with a short timeout. The occurrence key travels with email and
webhooks (the Message-ID, `webhook-id`) so a receiver can drop a repeat: after a worker dies
mid-send the outcome is unknown, and those two are sent again with the same id (robots are parked).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import urllib.parse
import urllib.request
from email.message import EmailMessage

TIMEOUT = 5.0  # seconds per call: a slow receiver delays one delivery, not the queue


class SendError(RuntimeError):
    """The receiver refused or could not be reached; the delivery is retried later."""


def text_of(d: dict) -> str:
    lines = [d["title"], d["body"]]
    if d.get("suggested_next_step"):
        lines.append(f"→ {d['suggested_next_step']}")
    return "\n".join(lines)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64 HMAC-SHA256 over `timestamp + "\\n" + secret`, keyed with the secret, URL-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(mac).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu keys the HMAC with `timestamp + "\\n" + secret` and signs an empty message."""
    return base64.b64encode(hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def standard_webhook_signature(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> str:
    """Standard Webhooks: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`; a `whsec_` secret is base64."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    mac = hmac.new(key, f"{msg_id}.{timestamp_s}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def send_robot(robot: dict, d: dict, now_s: float) -> None:
    kind, text = robot["kind"], text_of(d)
    url, body, headers = robot["url"], None, {"Content-Type": "application/json"}
    if kind == "dingtalk":
        ts = int(now_s * 1000)
        if robot.get("secret"):
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(robot['secret'], ts)}"
        body = {"msgtype": "markdown", "markdown": {"title": d["title"], "text": text}}
    elif kind == "wecom":  # the robot's key is already in its URL
        body = {"msgtype": "markdown", "markdown": {"content": text}}
    elif kind == "feishu":
        body = {"msg_type": "text", "content": {"text": text}}
        if robot.get("secret"):
            ts = int(now_s)
            body = {"timestamp": str(ts), "sign": feishu_sign(robot["secret"], ts), **body}
    else:
        raw = json.dumps({"type": f"crm.notification.{d['kind']}", "timestamp": int(now_s),
                          "data": _webhook_data(d)}, ensure_ascii=False, default=str).encode()
        ts = int(now_s)
        headers.update({"webhook-id": d["key"], "webhook-timestamp": str(ts),
                        "webhook-signature": standard_webhook_signature(robot.get("secret") or "", d["key"], ts, raw)})
        return _post(url, raw, headers, lambda reply: None)
    _post(url, json.dumps(body, ensure_ascii=False).encode(), headers, _robot_ok)


def _webhook_data(d: dict) -> dict:
    return {k: d.get(k) for k in ("key", "kind", "user_id", "customer_id", "lead_id", "title", "body", "facts",
                                  "suggested_next_step", "due_at")}


def _robot_ok(reply: dict) -> None:
    # DingTalk and WeCom answer 200 with errcode; Feishu with code (or StatusCode)
    code = reply.get("errcode", reply.get("code", reply.get("StatusCode", 0)))
    if code not in (0, None):
        raise SendError(f"robot refused: {code} {reply.get('errmsg') or reply.get('msg') or ''}".strip())


def _post(url: str, raw: bytes, headers: dict, check) -> None:
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

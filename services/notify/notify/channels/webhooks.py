"""Standard Webhooks: a JSON event per message, signed with HMAC-SHA256 over `id.timestamp.body`,
its id the occurrence key so a receiver can drop a repeat."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from .sending import post


def standard_webhook_signature(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> str:
    """Standard Webhooks: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`; a `whsec_` secret is base64."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    mac = hmac.new(key, f"{msg_id}.{timestamp_s}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def send(hook: dict, d: dict, now_s: float, allowed: list[str]) -> None:
    raw = json.dumps({"type": f"crm.notification.{d['kind']}", "timestamp": int(now_s),
                      "data": _webhook_data(d)}, ensure_ascii=False, default=str).encode()
    ts = int(now_s)
    headers = {"Content-Type": "application/json", "webhook-id": d["key"], "webhook-timestamp": str(ts),
               "webhook-signature": standard_webhook_signature(hook.get("secret") or "", d["key"], ts, raw)}
    return post(hook["url"], raw, headers, lambda reply: None, allowed)


def _webhook_data(d: dict) -> dict:
    return {k: d.get(k) for k in ("key", "kind", "user_id", "customer_id", "lead_id", "title", "body", "facts",
                                  "suggested_next_step", "due_at")}

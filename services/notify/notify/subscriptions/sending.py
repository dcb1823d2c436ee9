"""One subscription delivery as a Standard Webhook: the CloudEvent in structured mode as the topic
carries it (application/cloudevents+json), its id as `webhook-id` so a receiver drops a repeat, signed
over `id.timestamp.body`. A rule's webhook is sent the same way, its body the request (JSON) and its
id the request id. The host is checked again at the send and the send has the 10 s deadline
(channels.sending.post, as every webhook and robot)."""
from __future__ import annotations

import time

from crm_common.sealed import Tampered

from ..channels import sealing
from ..channels.sending import SendError, post
from ..channels.webhooks import standard_webhook_signature

CONTENT_TYPE = "application/cloudevents+json"
RULE_CONTENT_TYPE = "application/json"


def send(rt, row: dict, allowed: list[str]) -> None:
    url, secret = _target(rt, row)
    raw, ts = row["body"].encode(), int(time.time())  # receivers check the timestamp against real time
    kind = CONTENT_TYPE if row.get("subscription_id") else RULE_CONTENT_TYPE
    headers = {"Content-Type": kind, "webhook-id": row["event_id"], "webhook-timestamp": str(ts),
               "webhook-signature": standard_webhook_signature(secret, row["event_id"], ts, raw)}
    post(url, raw, headers, lambda reply: None, allowed)


def _target(rt, row: dict) -> tuple[str, str]:
    """The URL and secret: the subscription's, or those the rule's row carries."""
    if not row.get("subscription_id"):
        try:
            return (sealing.unseal(rt, row["url"], "rule-webhook-url", row["_id"]),
                    sealing.unseal(rt, row["secret"], "rule-webhook", row["_id"]))
        except Tampered:
            raise SendError("the rule webhook's stored secret no longer opens") from None
    sub = rt.db.subscriptions.find_one({"_id": row["subscription_id"]})
    if sub is None or sub.get("deleted_at"):
        raise SendError("the subscription was removed")
    try:
        return (sealing.unseal(rt, sub["url"], "subscription-url", sub["_id"]),
                sealing.unseal(rt, sub["secret"], "subscription", sub["_id"]))
    except Tampered:
        raise SendError("the subscription's stored secret no longer opens; register it again") from None

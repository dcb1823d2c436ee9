"""One subscription delivery as a Standard Webhook: the CloudEvent in structured mode as the topic
carries it (application/cloudevents+json), its id as `webhook-id` so a receiver drops a repeat, signed
over `id.timestamp.body`. The host is checked again at the send and the send has the 10 s deadline
(channels.sending.post, as every webhook and robot)."""
from __future__ import annotations

import time

from crm_common.sealed import Tampered

from ..channels import sealing
from ..channels.sending import SendError, post
from ..channels.webhooks import standard_webhook_signature

CONTENT_TYPE = "application/cloudevents+json"


def send(rt, row: dict, allowed: list[str]) -> None:
    sub = rt.db.subscriptions.find_one({"_id": row["subscription_id"]})
    if sub is None or sub.get("deleted_at"):
        raise SendError("the subscription was removed")
    try:
        url = sealing.unseal(rt, sub["url"], "subscription-url", sub["_id"])
        secret = sealing.unseal(rt, sub["secret"], "subscription", sub["_id"])
    except Tampered:
        raise SendError("the subscription's stored secret no longer opens; register it again") from None
    raw, ts = row["body"].encode(), int(time.time())  # receivers check the timestamp against real time
    headers = {"Content-Type": CONTENT_TYPE, "webhook-id": row["event_id"], "webhook-timestamp": str(ts),
               "webhook-signature": standard_webhook_signature(secret, row["event_id"], ts, raw)}
    post(url, raw, headers, lambda reply: None, allowed)

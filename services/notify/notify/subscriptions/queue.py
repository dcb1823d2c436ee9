"""Each subscription's deliveries, one queue per (subscription, aggregate): a later event of a customer
waits (`waiting`) while an earlier one is pending, failing or being sent, and goes once that one is
sent or parked. The rows are notify's delivery rows (channel `subscription`), so they are claimed,
retried on the reminder settings' schedule and parked by deliveries/outbound like any other.
A rule's webhook action is one such row of its own (channel `rule_webhook`, in no queue), carrying the
rule's URL and secret sealed.
"""
from __future__ import annotations

from crm_common.events import InvalidEvent, contract_types, encode, stream_of, topic_for
from crm_common.paging import new_id

from ..channels import sealing
from . import rules

CHANNEL = "subscription"
RULE_CHANNEL = "rule_webhook"
CHANNELS = (CHANNEL, RULE_CHANNEL)  # the Standard Webhooks sent for apps and rules, not for a person
AHEAD = ["pending", "failed", "sending"]  # a row in one of these holds its queue's later events back


def with_subscriptions(rt, handlers: dict) -> dict:
    """`handlers` plus queueing for subscriptions, for every event type with a contract: the worker then
    reads every topic, and an event is queued in the transaction that applies it (the version guard
    lets each through once, in its aggregate's order)."""
    def chained(own):
        def handle(event, session):
            if own is not None:
                own(event, session)
            enqueue(rt, session, event)
        return handle
    return {**handlers, **{t: chained(handlers.get(t)) for t in _routable_types()}}


def _routable_types() -> set[str]:
    found = set()
    for event_type, _ in contract_types():
        try:
            topic_for(event_type)
            found.add(event_type)
        except InvalidEvent:
            pass  # a contract of no topic yet is not consumed by anyone
    return found


def enqueue(rt, session, event: dict) -> None:
    subscribed = [s for s in rt.db.subscriptions.find({"active": True}, {"types": 1}, session=session)
                  if rules.matches(event["type"], s["types"])]
    if not subscribed:
        return
    body, stream, now = encode(event).decode(), stream_of(event), rt.clock.now()
    for sub in subscribed:
        queue = f"{sub['_id']}:{stream}"
        ahead = rt.db.deliveries.find_one({"queue": queue, "status": {"$in": AHEAD + ["waiting"]}}, {"_id": 1},
                                          session=session)
        row = {"_id": new_id(), "channel": CHANNEL, "subscription_id": sub["_id"], "queue": queue,
               "event_id": event["id"], "kind": event["type"], "title": event["type"], "body": body,
               "position": event.get("version") or 0,
               "status": "waiting" if ahead else "pending", "attempts": 0, "next_attempt_at": now,
               "created_at": now}
        # a repeat of the event (redelivered by Kafka) finds its row already there
        rt.db.deliveries.update_one({"key": f"{event['id']}:{CHANNEL}:{sub['_id']}"}, {"$setOnInsert": row},
                                    upsert=True, session=session)


def enqueue_rule_webhook(rt, session, request_id: str, url: str, secret: str, body: str) -> str:
    """A rule's webhook, once per request (a redelivered request finds its row): the row's id."""
    key = f"{request_id}:{RULE_CHANNEL}"
    found = rt.db.deliveries.find_one({"key": key}, {"_id": 1}, session=session)
    if found:
        return found["_id"]
    row_id, now = new_id(), rt.clock.now()
    rt.db.deliveries.insert_one({
        "_id": row_id, "key": key, "channel": RULE_CHANNEL, "event_id": request_id, "kind": "rule_webhook",
        "title": "rule webhook", "body": body, "url": sealing.seal(rt, url, "rule-webhook-url", row_id),
        "secret": sealing.seal(rt, secret, "rule-webhook", row_id), "status": "pending", "attempts": 0,
        "next_attempt_at": now, "created_at": now}, session=session)
    return row_id


def promote_next(rt, session, queue: str | None) -> None:
    """The row ahead in `queue` was sent or parked: its next one may go."""
    if queue is None:
        return  # a rule's webhook waits for nothing and holds nothing back
    # the aggregate's version orders its events; two replicas' ids made in one second need not
    for row in rt.db.deliveries.find({"queue": queue, "status": "waiting"}, {"_id": 1},
                                     session=session).sort([("position", 1), ("_id", 1)]).limit(1):
        rt.db.deliveries.update_one({"_id": row["_id"], "status": "waiting"},
                                    {"$set": {"status": "pending", "next_attempt_at": rt.clock.now()}},
                                    session=session)


def promote_stranded(rt) -> None:
    """A queue whose head finished while a later event was being queued has no row ahead: start it.
    (The job runs alone, before its senders, so no two heads start.)"""
    queues = {r["queue"] for r in rt.db.deliveries.find({"status": "waiting"}, {"queue": 1})}
    for queue in sorted(queues):
        if rt.db.deliveries.find_one({"queue": queue, "status": {"$in": AHEAD}}, {"_id": 1}) is None:
            rt.transaction(lambda session, q=queue: promote_next(rt, session, q))


def park_all(rt, session, sub_id: str, why: str) -> None:
    rt.db.deliveries.update_many({"subscription_id": sub_id, "status": {"$in": ["waiting", "pending", "failed"]}},
                                 {"$set": {"status": "parked", "last_error": why}}, session=session)

"""The worker's outbound delivery: claim a row, send outside any transaction, record the outcome.

A claim sets `sending` with a lease; the outcome is written only by the lease holder. A row whose
lease ran out was being sent by a worker that died: email and webhooks go again under the same
id (the receiver can drop the repeat); robots cannot de-duplicate, so such a row is parked for an
admin instead of risking a second group message. Failures retry on a growing schedule, then park
(rules.retry_after).
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta

from crm_common.kernel.refusals import Conflict, NotFound
from crm_common.mongo import find_one_and_update
from crm_common.sealed import Tampered

from ..channels import reach, robots, smtp
from ..channels.sms import sending as sms
from ..channels.work import sending as work
from ..channels.sending import DEADLINE, SendError
from ..contacts import sending as contact_sending
from ..reminders import settings
from ..subscriptions import queue as subscriptions, sending as subscription_sending
from . import rules

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
RUN_SECONDS = 20.0  # one job run; the next run goes on
SENDERS = 4  # concurrent sends within the one replica that holds the job
PER_CLAIM = 4  # rows a sender leases at once: fewer round trips, and inside the lease at 10 s a send
RESENDABLE = ["email", "webhook", *subscriptions.CHANNELS]  # receivers that can drop a repeat by its id
UNREPEATABLE = ["robot", "sms", *work.CHANNELS]  # a repeat reaches the person twice: parked when interrupted


def run(rt, *, run_seconds: float = RUN_SECONDS, senders: int = SENDERS) -> dict:
    """Send what is due for up to `run_seconds`, with a few senders so slow receivers overlap."""
    _park_interrupted_robots(rt)
    subscriptions.promote_stranded(rt)
    stop, totals, lock = time.monotonic() + run_seconds, {"sent": 0, "failed": 0, "parked": 0}, threading.Lock()

    def sender():
        while time.monotonic() < stop:
            rows = claim_some(rt, uuid.uuid4().hex, PER_CLAIM)
            if not rows:
                return
            for row in rows:
                try:
                    outcome = send(rt, row)
                    if outcome:
                        status = record(rt, row, row["lease"], outcome)
                        with lock:
                            totals[status] = totals.get(status, 0) + 1  # "refused" only when some were
                except Exception:  # noqa: BLE001 - e.g. MongoDB away while recording: the lease runs out
                    log.exception("delivery %s: the outcome was not recorded; its lease decides", row["_id"])
    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for t in threads:
        t.start()
    # Each send ends within its deadline, so a sender ends within the run plus one claim's sends; the
    # join is bounded anyway, so the job always returns and the scheduler runs it again.
    for t in threads:
        t.join(max(0.0, stop + PER_CLAIM * DEADLINE + 5 - time.monotonic()))
    return totals


def claim(rt, worker: str) -> dict | None:
    """Take the next due row, leased to `worker`."""
    rows = claim_some(rt, worker, 1)
    return rows[0] if rows else None


def claim_some(rt, lease: str, limit: int) -> list[dict]:
    """Take up to `limit` due rows under the lease token `lease`: per state one indexed read of the
    ids, one conditional update_many, one read of what this token got (a racing sender may have
    taken some: it tries again). Three round trips for the batch, not per row."""
    now = rt.clock.now()
    take = {"$set": {"status": "sending", "lease": lease, "lease_until": now + LEASE}, "$inc": {"attempts": 1}}
    for query, order in (({"status": "pending", "next_attempt_at": {"$lte": now}}, "next_attempt_at"),
                         ({"status": "failed", "next_attempt_at": {"$lte": now}}, "next_attempt_at"),
                         ({"status": "sending", "lease_until": {"$lte": now}, "channel": {"$in": RESENDABLE}},
                          "lease_until")):
        for _ in range(5):
            ids = [d["_id"] for d in rt.db.deliveries.find(query, {"_id": 1}).sort(order, 1).limit(limit)]
            if not ids:
                break
            rt.db.deliveries.update_many({**query, "_id": {"$in": ids}}, take)
            rows = list(rt.db.deliveries.find({"_id": {"$in": ids}, "lease": lease, "status": "sending"}))
            if rows:
                return rows
    return []


def _park_interrupted_robots(rt) -> None:
    rt.db.deliveries.update_many(
        {"status": "sending", "lease_until": {"$lte": rt.clock.now()}, "channel": {"$in": UNREPEATABLE}},
        {"$set": {"status": "parked", "last_error": "interrupted while sending; not resent so the group gets no "
                                                    "second message (retry it if it did not arrive)"}})


def send(rt, row: dict) -> dict | None:
    """None when a robot's rate limit defers the row (queued, not dropped, no attempt counted)."""
    if contact_sending.is_contact_row(row):  # to a customer's contact: consent and opt-outs checked again now
        row, refused = contact_sending.prepared(rt, row)
        if refused:
            return {"ok": False, "refused": refused}
    try:
        if row["channel"] == "email":
            server = smtp.smtp_for_sending(rt)
            if server and server.get("unreadable"):
                raise SendError(server["unreadable"])
            smtp.send_email(server, row, reach.allowed(rt))
        elif row["channel"] in subscriptions.CHANNELS:
            subscription_sending.send(rt, row, reach.allowed(rt))
        elif row["channel"] == "sms":
            return sms.send(rt, row, reach.allowed(rt))  # an invalid number is refused for good
        elif row["channel"] in work.CHANNELS:
            work.send(rt, row, reach.allowed(rt))
        else:
            robot = rt.db.robots.find_one({"_id": row["robot_id"]})
            if robot is None:
                raise SendError("the robot was removed")
            try:
                robot = robots.for_sending(rt, robot)
            except Tampered:
                raise SendError("the robot's stored secret no longer opens; register it again") from None
            wait, stamp = robots.take_slot(rt, robot)
            if wait is not None:
                rt.db.deliveries.update_one({"_id": row["_id"], "lease": row["lease"]}, {
                    "$set": {"status": "pending", "next_attempt_at": wait}, "$inc": {"attempts": -1}})
                return None
            try:
                robots.send(robot, row, time.time(), reach.allowed(rt))
            finally:
                robots.end_send(rt, robot, stamp)
    except SendError as exc:
        return {"ok": False, "error": str(exc)[:500]}
    except Exception as exc:  # noqa: BLE001 - one message must not end the sender: it is retried, then parked
        log.exception("sending delivery %s failed unexpectedly", row["_id"])
        return {"ok": False, "error": f"send failed ({type(exc).__name__})"}
    return {"ok": True}


def record(rt, row: dict, worker: str, outcome: dict) -> str:
    now = rt.clock.now()
    if outcome["ok"]:
        status, change = "sent", {"status": "sent", "sent_at": now, "last_error": None, **outcome.get("fields", {})}
    elif outcome.get("refused"):  # not to be sent at all: no retry
        status, change = contact_sending.REFUSED, {"status": contact_sending.REFUSED, "last_error": outcome["refused"]}
    else:
        wait = rules.retry_after(row["attempts"], settings.reminder_settings(rt)["retry_seconds"])
        status = "failed" if wait is not None else "parked"
        change = {"status": status, "last_error": outcome["error"], "failed_at": now}
        if wait is not None:
            change["next_attempt_at"] = now + wait

    def work(session):
        done = rt.db.deliveries.update_one({"_id": row["_id"], "lease": worker, "status": "sending"},
                                           {"$set": change, "$unset": {"lease": "", "lease_until": ""}},
                                           session=session)
        if not done.modified_count or status not in ("sent", "parked"):
            return
        if row["channel"] in subscriptions.CHANNELS:  # an app's or a rule's webhook, not a person's notice
            return subscriptions.promote_next(rt, session, row.get("queue"))
        if contact_sending.is_contact_row(row):  # a message to a contact, not a user's notice: the row says it
            return
        rt.publish(session, rt.event(f"crm.notification.{'sent' if status == 'sent' else 'failed'}",
                                     row["key"], _event_data(row, change), caused_by=row.get("caused_by")))
    rt.transaction(work)
    return status


def _event_data(row: dict, change: dict) -> dict:
    data = {"delivery_id": row["_id"], "key": row["key"], "channel": row["channel"], "kind": row["kind"],
            "user_id": row["user_id"], "customer_id": row.get("customer_id"), "lead_id": row.get("lead_id"),
            "robot_id": row.get("robot_id"), "attempts": row["attempts"],
            **({"reminder_key": row["reminder_key"]} if row.get("reminder_key") else {})}  # rows queued before lack it
    if change["status"] == "sent":
        return {**data, "sent_at": change["sent_at"].isoformat()}
    return {**data, "error": change["last_error"], "failed_at": change["failed_at"].isoformat()}


def retry(rt, delivery_id: str) -> dict:
    """An admin sends a parked or failed delivery again, with a fresh retry schedule."""
    retried = find_one_and_update(rt.db.deliveries, {"_id": delivery_id, "status": {"$in": rules.RETRYABLE}},
                                  {"$set": {"status": "pending", "attempts": 0, "next_attempt_at": rt.clock.now()}})
    if retried is None:
        known = rt.db.deliveries.find_one({"_id": delivery_id}, {"status": 1})
        if known is None:
            raise NotFound("no such delivery")
        raise Conflict(f"only a parked or failed delivery can be retried; this one is {known['status']}",
                       reason="not_retryable")
    return retried

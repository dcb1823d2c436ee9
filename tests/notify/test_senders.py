"""No sender can be stopped by one message (issue 21, point 5): a receiver that trickles bytes holds
one delivery for at most 10 s while reminders keep flowing, an unexpected error retries that delivery
and the sender goes on, and a customer whose name holds a line separator still gets its email."""
import time
from datetime import timedelta

import pytest

from notify.channels import smtp as smtp_channel
from notify.deliveries import outbound as deliveries
from notify.preferences import store as prefs

from .conftest import inbox
from .receivers import SmtpReceiver, TricklingReceiver
from .test_channels import assign_lead, rows


@pytest.fixture
def admin(client, token_for):
    headers = token_for("u-admin", "admin")
    assert client.put("/v1/settings/outbound", headers=headers,
                      json={"allowed_private_hosts": ["127.0.0.1"]}).status_code == 200
    return headers


@pytest.fixture
def smtp(client, admin):
    receiver = SmtpReceiver()
    assert client.put("/v1/settings/smtp", headers=admin, json={
        "host": "127.0.0.1", "port": receiver.port, "from": "crm@example.cn", "starttls": False}).status_code == 200
    yield receiver
    receiver.close()


def test_a_trickling_receiver_holds_one_delivery_at_most_10_s_and_reminders_keep_flowing(rt, client, admin, feed):
    trickle = TricklingReceiver(every=1.0)  # a byte a second: no read ever waits long enough to time out
    try:
        feed.user("rep-1")
        assert client.post("/v1/robots", headers=admin, json={
            "name": "slow", "kind": "webhook", "url": trickle.url + "/hook", "user_ids": ["rep-1"]}).status_code == 201
        prefs.put(rt, "rep-1", {"channels": {"default": ["inbox"], "lead_assigned": ["webhook"]}})
        assign_lead(feed)
        feed.customer("C1", level="A")
        rt.clock.set_offset(rt.clock.offset() + timedelta(days=3, minutes=1))

        started = time.monotonic()
        jobs = {t.name: t for t in rt.scheduler.start_due()}  # as the worker's tick does: a thread per job
        assert {"job:deliveries", "job:reminders-due"} <= set(jobs)
        jobs["job:reminders-due"].join(8)
        assert [i["kind"] for i in inbox(rt, kind="cadence")] == ["cadence"]  # the reminder came meanwhile
        assert jobs["job:deliveries"].is_alive()  # while the trickling send still held its delivery
        jobs["job:deliveries"].join(15)
        held = time.monotonic() - started
        assert not jobs["job:deliveries"].is_alive() and held < 11.5, held
        [row] = rows(rt, channel="webhook")
        assert row["status"] == "failed" and row["last_error"] == "timeout: the send took more than 10 s"
        assert trickle.connections == 1 and rt.scheduler.running == {}
    finally:
        trickle.close()


def test_an_unexpected_error_in_one_send_retries_that_delivery_and_the_sender_goes_on(rt, feed, smtp,
                                                                                      monkeypatch):
    feed.user("rep-1")
    prefs.put(rt, "rep-1", {"channels": {"default": ["email"]}, "email": "rep1@example.cn", "language": "en"})
    real, calls = smtp_channel.send_email, []

    def first_one_breaks(server, d, allowed):
        calls.append(d["lead_id"])
        if len(calls) == 1:
            raise KeyError("a bug in one message")
        return real(server, d, allowed)
    monkeypatch.setattr(smtp_channel, "send_email", first_one_breaks)
    assign_lead(feed, "L1")
    assign_lead(feed, "L2")
    assert deliveries.run(rt, senders=1) == {"sent": 1, "failed": 1, "parked": 0}  # one sender, both handled
    [broken] = [r for r in rows(rt, channel="email") if r["status"] == "failed"]
    assert broken["last_error"] == "send failed (KeyError)" and broken["next_attempt_at"] > rt.clock.now()
    assert len(smtp.messages) == 1


def test_a_customer_named_with_a_line_separator_gets_its_email(rt, feed, smtp, travel):
    feed.user("rep-1")
    prefs.put(rt, "rep-1", {"channels": {"default": ["email"]}, "email": "rep1@example.cn", "language": "en"})
    feed.customer("C1", level="A", name="Acme\u2028Co")
    travel(days=3, minutes=1)
    assert deliveries.run(rt)["failed"] == 0
    [mail] = [m for m in smtp.messages if "follow up" in m["message"]["Subject"]]
    assert mail["message"]["Subject"] == "Time to follow up Acme Co" and mail["to"] == ["rep1@example.cn"]
    assert "Acme\u2028Co" in mail["message"].get_content()  # the body keeps the name as typed

"""Email over a real local SMTP server, DingTalk / WeCom / Feishu robots and Standard Webhooks against
a local receiver that checks the signature bytes (issue 10, points 4, 6, 7)."""
import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

import pytest

from crm_common.events import validate
from crm_common.testing.events import expect_events, outbox_events
from notify.channels import robots
from notify.deliveries import outbound as deliveries
from notify.preferences import store as prefs

from .conftest import allow_local_receivers, iso

WHSEC = "whsec_" + base64.b64encode(b"webhook-secret-bytes-0123456789").decode()


@pytest.fixture
def admin(client, token_for):
    """An admin's headers, with the local receivers' host allowed."""
    return allow_local_receivers(client, token_for("u-admin", "admin"))


def robot(client, admin, http, kind, path, secret=None, **extra):
    made = client.post("/v1/robots", headers=admin, json={"name": kind, "kind": kind, "url": http.url + path,
                                                         "secret": secret, "user_ids": ["rep-1"], **extra})
    assert made.status_code == 201, made.json
    assert "secret" not in made.json and made.json["has_secret"] == bool(secret)
    return made.json["id"]


def assign_lead(feed, lead_id="L1"):
    feed.send("crm.lead.assigned", lead_id, {"lead_id": lead_id, "owner_id": "rep-1", "by": "rules",
                                             "assigned_at": iso(feed.now()),
                                             "respond_by": iso(feed.now() + timedelta(hours=24))})


def rows(rt, **query):
    return list(rt.db.deliveries.find(query))


def test_every_channel_delivers_once_with_its_exact_signing(rt, client, admin, feed, http, smtp):
    feed.user("rep-1")
    put = client.put("/v1/settings/smtp", headers=admin, json={
        "host": "127.0.0.1", "port": smtp.port, "from": "crm@example.cn", "username": None,
        "password": "s3cret", "starttls": False})
    assert put.status_code == 200 and "password" not in put.json and put.json["has_password"] is True
    assert "password" not in client.get("/v1/settings/smtp", headers=admin).json
    assert b"s3cret" not in bytes(rt.db.settings.find_one({"_id": "smtp"})["password"])  # sealed at rest
    robot(client, admin, http, "dingtalk", "/ding?access_token=T1", secret="SECding")
    robot(client, admin, http, "wecom", "/wecom?key=WECOM-KEY")
    robot(client, admin, http, "feishu", "/feishu", secret="SECfeishu")
    robot(client, admin, http, "webhook", "/hook", secret=WHSEC)
    prefs.put(rt, "rep-1", {"channels": {"default": ["inbox", "email", "robot", "webhook"]},
                            "email": "rep1@example.cn", "language": "en"})
    for stored in rt.db.robots.find({"secret": {"$ne": None}}):
        assert not isinstance(stored["secret"], str) and b"SEC" not in bytes(stored["secret"])
    assign_lead(feed)
    before = time.time()
    assert deliveries.run(rt) == {"sent": 5, "failed": 0, "parked": 0}
    assert deliveries.run(rt) == {"sent": 0, "failed": 0, "parked": 0}

    [mail] = smtp.messages
    assert mail["to"] == ["rep1@example.cn"] and mail["message"]["Subject"] == "A new lead is yours"
    assert "Respond by" in mail["message"].get_content() and mail["message"]["To"] == "rep1@example.cn"

    [ding] = http.at("/ding")
    ts = ding["query"]["timestamp"][0]
    assert abs(int(ts) / 1000 - before) < 10 and ding["query"]["access_token"] == ["T1"]
    expected = base64.b64encode(hmac.new(b"SECding", f"{ts}\nSECding".encode(), hashlib.sha256).digest()).decode()
    assert ding["query"]["sign"][0] == expected  # parse_qs undid the URL encoding
    assert ding["json"]["msgtype"] == "markdown" and "A new lead is yours" in ding["json"]["markdown"]["text"]

    [wecom] = http.at("/wecom")
    assert wecom["query"]["key"] == ["WECOM-KEY"] and "A new lead" in wecom["json"]["markdown"]["content"]

    [feishu] = http.at("/feishu")
    fts = feishu["json"]["timestamp"]
    assert abs(int(fts) - before) < 10
    assert feishu["json"]["sign"] == base64.b64encode(
        hmac.new(f"{fts}\nSECfeishu".encode(), b"", hashlib.sha256).digest()).decode()
    assert feishu["json"]["msg_type"] == "text"

    [hook] = http.at("/hook")
    h = hook["headers"]
    signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + hook["raw"]
    key = base64.b64decode(WHSEC.removeprefix("whsec_"))
    assert h["webhook-signature"] == "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert h["webhook-id"].startswith("lead-assigned:L1:") and h["webhook-id"].endswith(":webhook:" + rows(
        rt, channel="webhook")[0]["robot_id"])
    assert hook["json"]["data"]["lead_id"] == "L1"

    sent = outbox_events(rt.db, "crm.notification.sent")
    assert sorted(e["data"]["channel"] for e in sent) == ["email", "inbox", "robot", "robot", "robot", "webhook"]
    [reminder] = {e["data"]["reminder_key"] for e in sent}  # one reminder, on six channels
    assert reminder.startswith("lead-assigned:L1:") and all(e["subject"].startswith(reminder + ":") for e in sent)
    for event in sent:
        validate(event)


def test_failures_retry_on_a_growing_schedule_then_park_and_an_admin_retries(rt, client, admin, feed, http):
    feed.user("rep-1")
    robot(client, admin, http, "webhook", "/hook", secret=WHSEC)
    prefs.put(rt, "rep-1", {"channels": {"default": ["webhook"]}})
    http.fail = 5
    assign_lead(feed)
    gaps = []
    for _ in range(5):
        deliveries.run(rt)
        [row] = rows(rt)
        if row["status"] == "failed":
            gaps.append(round((row["next_attempt_at"] - rt.clock.now()).total_seconds()))
            rt.clock.set_offset(rt.clock.offset() + timedelta(seconds=gaps[-1] + 1))
    assert gaps == [5, 300, 1800, 7200] and row["status"] == "parked"
    assert len(http.at("/hook")) == 5

    parked = client.get("/v1/deliveries?status=parked&channel=webhook", headers=admin).json["items"]
    assert [p["id"] for p in parked] == [row["_id"]] and parked[0]["last_error"] == "HTTPError: status 500"
    [failed] = outbox_events(rt.db, "crm.notification.failed")
    validate(failed)
    assert failed["data"]["attempts"] == 5

    again = client.post(f"/v1/deliveries/{row['_id']}/retry", headers=admin)
    assert again.status_code == 200 and again.json["status"] == "pending"
    with expect_events(rt, [("crm.notification.sent", {"subject": row["key"], "channel": "webhook", "attempts": 1})]):
        assert deliveries.run(rt)["sent"] == 1
    assert client.post(f"/v1/deliveries/{row['_id']}/retry", headers=admin).status_code == 409
    assert client.get("/v1/deliveries?status=sent", headers=admin).json["items"][0]["id"] == row["_id"]
    ids = {r["headers"]["webhook-id"] for r in http.at("/hook")}
    assert len(ids) == 1  # every attempt carried the same id: a receiver can drop repeats


def test_quiet_hours_delay_a_robot_message_unless_the_kind_is_critical(rt, client, admin, feed, http):
    feed.user("rep-1")
    robot(client, admin, http, "wecom", "/wecom?key=K")
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    end = local + timedelta(hours=2)
    prefs.put(rt, "rep-1", {"channels": {"default": ["robot"]}, "quiet_hours": {
        "start": (local - timedelta(hours=1)).strftime("%H:%M"), "end": end.strftime("%H:%M")}})
    assign_lead(feed, "L1")
    deliveries.run(rt)
    assert http.requests == [] and len(rt.db.inbox.find_one({"lead_id": "L1"})["title"]) > 0  # inbox at once
    [row] = rows(rt)
    assert row["next_attempt_at"].astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == end.strftime("%H:%M")
    rt.clock.set_offset(timedelta(hours=2))
    deliveries.run(rt)
    assert len(http.at("/wecom")) == 1

    client.put("/v1/settings/reminders", headers={**admin, "If-Match": "*"}, json={"critical_kinds": ["lead_assigned"]})
    rt.clock.set_offset(timedelta(0))
    assign_lead(feed, "L2")
    deliveries.run(rt)
    assert len(http.at("/wecom")) == 2


def test_feishu_rate_limit_queues_messages_and_drops_none(rt, client, admin, feed, http):
    times = feishu_arrivals(rt, client, admin, feed, http, 12)
    assert len(times) == 12
    assert busiest_second(times) <= 5
    assert times[-1] - times[0] >= 2.0


def feishu_arrivals(rt, client, admin, feed, http, count):
    """Arrival times at a Feishu robot of `count` reminders, sent by the worker until all arrived."""
    feed.user("rep-1")
    robot(client, admin, http, "feishu", "/feishu", secret="S")
    prefs.put(rt, "rep-1", {"channels": {"default": ["robot"]}})
    for n in range(count):
        assign_lead(feed, f"L{n}")
    deadline = time.monotonic() + 15
    while len(http.at("/feishu")) < count and time.monotonic() < deadline:
        deliveries.run(rt, run_seconds=1)
        time.sleep(0.05)
    return sorted(r["at"] for r in http.at("/feishu"))


def busiest_second(times):
    return max(sum(1 for t in times if s <= t < s + 1.0) for s in times)


def test_a_slow_send_counts_where_it_arrives_so_no_second_at_the_receiver_holds_six(rt, client, admin, feed,
                                                                                   http, monkeypatch):
    real_send, calls = robots.send, []

    def slow_network(*args):  # the first five take half a second to reach the receiver
        calls.append(1)
        if len(calls) <= 5:
            time.sleep(0.5)
        return real_send(*args)
    monkeypatch.setattr(robots, "send", slow_network)
    times = feishu_arrivals(rt, client, admin, feed, http, 10)
    assert len(times) == 10
    assert busiest_second(times) <= 5


def test_dingtalk_and_wecom_take_20_a_minute_per_robot_and_queue_the_rest(rt, client, admin, feed, http,
                                                                          monkeypatch):
    feed.user("rep-1")
    robot(client, admin, http, "dingtalk", "/ding", secret="S")
    robot(client, admin, http, "wecom", "/wecom?key=K")
    prefs.put(rt, "rep-1", {"channels": {"default": ["robot"]}})
    wall = [datetime.now(timezone.utc)]
    monkeypatch.setattr(robots, "wall_now", lambda: wall[0])  # the robots' minute, without waiting one
    for n in range(25):
        assign_lead(feed, f"L{n}")
    assert deliveries.run(rt)["sent"] == 40
    assert len(http.at("/ding")) == 20 and len(http.at("/wecom")) == 20
    waiting = rows(rt, status="pending")
    assert len(waiting) == 10 and all(r["attempts"] == 0 and r["last_error"] is None for r in waiting)
    assert all(timedelta(seconds=55) < r["next_attempt_at"] - rt.clock.now() <= timedelta(seconds=61)
               for r in waiting)  # queued until the oldest send leaves the minute
    assert deliveries.run(rt)["sent"] == 0 and len(http.requests) == 40  # still inside the minute
    wall[0] += timedelta(seconds=61)
    rt.clock.set_offset(timedelta(seconds=61))
    assert deliveries.run(rt)["sent"] == 10
    assert len(http.at("/ding")) == 25 and len(http.at("/wecom")) == 25  # none dropped, none twice
    assert {r["status"] for r in rows(rt)} == {"sent"} and len(rows(rt)) == 50


def test_a_worker_killed_mid_send_sends_no_second_robot_message(rt, client, admin, feed, http):
    feed.user("rep-1")
    robot(client, admin, http, "dingtalk", "/ding", secret="S")
    robot(client, admin, http, "webhook", "/hook", secret=WHSEC)
    prefs.put(rt, "rep-1", {"channels": {"default": ["robot", "webhook"]}})
    assign_lead(feed)
    assert deliveries.claim(rt, "dead-worker") and deliveries.claim(rt, "dead-worker")  # then it died
    assert deliveries.run(rt)["sent"] == 0  # its leases still hold
    rt.clock.set_offset(deliveries.LEASE + timedelta(seconds=1))
    with expect_events(rt, [("crm.notification.sent", {"channel": "webhook", "attempts": 2})]):  # the robot: parked
        assert deliveries.run(rt) == {"sent": 1, "failed": 0, "parked": 0}
    assert len(http.at("/hook")) == 1 and http.at("/ding") == []
    [parked] = rows(rt, channel="robot")
    assert parked["status"] == "parked" and "interrupted" in parked["last_error"]


def test_two_worker_replicas_send_each_message_once(rt, app_for, feed, http, client, admin):
    from notify.app import create_app
    other = app_for(create_app, "notify").extensions["crm"]
    feed.user("rep-1")
    robot(client, admin, http, "webhook", "/hook", secret=WHSEC)
    prefs.put(rt, "rep-1", {"channels": {"default": ["webhook"]}})
    for n in range(30):
        assign_lead(feed, f"L{n}")
    workers = [threading.Thread(target=deliveries.run, args=(each,)) for each in (rt, other)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    ids = [r["headers"]["webhook-id"] for r in http.at("/hook")]
    assert len(ids) == 30 and len(set(ids)) == 30
    sent = [e for e in outbox_events(rt.db, "crm.notification.sent") if e["data"]["channel"] == "webhook"]
    assert len(sent) == 30

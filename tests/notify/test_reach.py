"""Outbound URLs cannot reach inside (issue 21, point 4): robot, webhook and SMTP hosts inside are
refused unless an admin allowed them, checked again at send time, redirects are not followed, and
`last_error` says what kind of failure it was, not what the remote end answered."""
import socket

import pytest

from notify.deliveries import outbound as deliveries
from notify.preferences import store as prefs

from .test_channels import assign_lead, rows


@pytest.fixture
def admin(token_for):
    return token_for("u-admin", "admin")


def hook(client, admin, url, kind="webhook"):
    return client.post("/v1/robots", headers=admin, json={"name": kind, "kind": kind, "url": url,
                                                         "user_ids": ["rep-1"]})


INSIDE = ["http://127.0.0.1:8001/v1/leads", "http://localhost:8004/v1/robots", "http://[::1]:9104/metrics",
          "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/hook", "http://192.168.1.20:8080/",
          "http://0.0.0.0:8002/", "http://nowhere.invalid/hook"]


def test_robot_webhook_and_smtp_hosts_inside_are_refused_with_422_naming_the_field(client, admin):
    for url in INSIDE:
        for kind in ("dingtalk", "webhook"):
            refused = hook(client, admin, url, kind)
            assert refused.status_code == 422, (url, refused.json)
            assert [e["field"] for e in refused.json["errors"]] == ["url"]
    assert client.get("/v1/robots", headers=admin).json == []
    smtp = client.put("/v1/settings/smtp", headers=admin, json={"host": "127.0.0.1", "port": 25,
                                                              "from": "crm@example.cn"})
    assert smtp.status_code == 422 and [e["field"] for e in smtp.json["errors"]] == ["host"]
    assert client.get("/v1/settings/smtp", headers=admin).status_code == 404

    assert client.put("/v1/settings/outbound", headers=admin,
                      json={"allowed_private_hosts": ["127.0.0.1"]}).status_code == 200
    assert hook(client, admin, "http://127.0.0.1:9999/hook").status_code == 201
    assert hook(client, admin, "http://localhost:9999/hook").status_code == 201  # it resolves to the listed one
    assert hook(client, admin, "http://10.0.0.5/hook").status_code == 422  # only what is listed
    assert hook(client, admin, "https://8.8.8.8/robot?access_token=T").status_code == 201  # public


def test_the_outbound_setting_is_for_admins_and_takes_if_match_once_it_exists(client, admin, token_for):
    rep = token_for("rep-1")
    assert client.get("/v1/settings/outbound", headers=rep).status_code == 403
    assert client.put("/v1/settings/outbound", headers=rep, json={"allowed_private_hosts": []}).status_code == 403
    first = client.get("/v1/settings/outbound", headers=admin)
    assert first.json == {"allowed_private_hosts": []} and first.headers["ETag"] == '"0"'
    put = client.put("/v1/settings/outbound", headers=admin, json={"allowed_private_hosts": ["127.0.0.1"]})
    assert put.status_code == 200 and put.headers["ETag"] == '"1"'  # the first needs no If-Match
    again = client.put("/v1/settings/outbound", headers=admin, json={"allowed_private_hosts": []})
    assert again.status_code == 428
    stale = client.put("/v1/settings/outbound", headers={**admin, "If-Match": '"0"'},
                       json={"allowed_private_hosts": []})
    assert stale.status_code == 412
    changed = client.put("/v1/settings/outbound", headers={**admin, "If-Match": '"1"'},
                         json={"allowed_private_hosts": ["Receiver.Test.", "127.0.0.1"]})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    got = client.get("/v1/settings/outbound", headers=admin)
    assert got.json == {"allowed_private_hosts": ["receiver.test", "127.0.0.1"]} and got.headers["ETag"] == '"2"'
    bad = client.put("/v1/settings/outbound", headers={**admin, "If-Match": '"2"'},
                     json={"allowed_private_hosts": "127.0.0.1"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "allowed_private_hosts"


def test_a_host_that_resolves_inside_at_send_time_is_not_reached(rt, client, admin, feed, http, monkeypatch):
    """DNS rebinding: the name was public when the admin registered it, and points inside when it is sent."""
    port, real = http.server.server_address[1], socket.getaddrinfo
    answer = {"address": "8.8.8.8"}

    def resolver(host, *args, **kwargs):
        if host == "receiver.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["address"], port))]
        return real(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    assert hook(client, admin, f"http://receiver.test:{port}/hook").status_code == 201
    answer["address"] = "127.0.0.1"
    feed.user("rep-1")
    prefs.put(rt, "rep-1", {"channels": {"default": ["webhook"]}})
    assign_lead(feed)
    assert deliveries.run(rt)["sent"] == 0
    [row] = rows(rt)
    assert http.requests == [] and row["status"] == "failed"
    assert row["last_error"].startswith("blocked: receiver.test resolves to a loopback address (127.0.0.1)")


def test_redirects_are_not_followed_and_last_error_names_the_failure_not_the_answer(rt, client, admin, feed,
                                                                                    http):
    assert client.put("/v1/settings/outbound", headers=admin,
                      json={"allowed_private_hosts": ["127.0.0.1"]}).status_code == 200
    feed.user("rep-1")
    prefs.put(rt, "rep-1", {"channels": {"default": ["webhook"]}})
    made = hook(client, admin, http.url + "/hook")
    assert made.status_code == 201

    def failure(lead_id, answer):
        http.answer = answer
        assign_lead(feed, lead_id)
        deliveries.run(rt)
        [row] = rows(rt, lead_id=lead_id)
        assert row["status"] == "failed"
        return row["last_error"]

    assert failure("L1", (302, {"Location": http.url + "/inside"}, b"")) == "redirect not followed: status 302"
    assert http.at("/inside") == [] and len(http.at("/hook")) == 1
    banner = b'{"errcode": 0, "server": "internal-admin 1.2 on 10.0.0.7"}'
    assert failure("L2", (503, {}, banner)) == "HTTPError: status 503"
    http.answer = None
    client.delete(f"/v1/robots/{made.json['id']}", headers=admin)
    http.close()  # nothing listens on that port any more
    hook(client, admin, http.url + "/hook")
    assert failure("L3", None) == "connection refused"
    for row in rows(rt):
        assert "internal-admin" not in row["last_error"] and "10.0.0.7" not in row["last_error"]


def test_a_robot_refusal_shows_its_code_not_its_text(rt, client, admin, feed, http):
    client.put("/v1/settings/outbound", headers=admin, json={"allowed_private_hosts": ["127.0.0.1"]})
    feed.user("rep-1")
    prefs.put(rt, "rep-1", {"channels": {"default": ["robot"]}})
    assert hook(client, admin, http.url + "/wecom?key=K", kind="wecom").status_code == 201
    http.answer = (200, {}, b'{"errcode": 93000, "errmsg": "invalid webhook url, hint: [host 10.0.0.7]"}')
    assign_lead(feed)
    deliveries.run(rt)
    [row] = rows(rt)
    assert row["status"] == "failed" and row["last_error"] == "robot refused: code 93000"


def test_an_smtp_host_no_longer_allowed_is_not_reached_at_send_time(rt, client, admin, feed):
    from .receivers import SmtpReceiver
    smtp = SmtpReceiver()
    try:
        client.put("/v1/settings/outbound", headers=admin, json={"allowed_private_hosts": ["127.0.0.1"]})
        assert client.put("/v1/settings/smtp", headers=admin, json={
            "host": "127.0.0.1", "port": smtp.port, "from": "crm@example.cn"}).status_code == 200
        assert client.put("/v1/settings/outbound", headers={**admin, "If-Match": '"1"'},
                          json={"allowed_private_hosts": []}).status_code == 200  # the admin takes it back
        feed.user("rep-1")
        prefs.put(rt, "rep-1", {"channels": {"default": ["email"]}, "email": "rep1@example.cn"})
        assign_lead(feed)
        assert deliveries.run(rt)["sent"] == 0
        [row] = rows(rt, channel="email")
        assert smtp.messages == [] and row["last_error"].startswith("blocked: 127.0.0.1 resolves to a loopback")
    finally:
        smtp.close()

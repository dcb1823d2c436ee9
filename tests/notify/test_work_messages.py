"""Reaching a rep in person (issue 25, point 7): a DingTalk work notification (工作通知) and a WeCom
application message (应用消息) through the company's app, to the userid in the rep's preferences, chosen
per reminder kind; against local stand-ins that check the token, agent id, userid and body."""
import pytest

from notify.deliveries import outbound as deliveries

from .conftest import allow_local_receivers
from .standins import DingtalkApp, WecomApp, serving
from .test_channels import assign_lead, rows

TOKEN_PATH = "/v1.0/oauth2/accessToken"


@pytest.fixture
def admin(client, token_for):
    return allow_local_receivers(client, token_for("u-admin", "admin"))


ding, wecom = serving(DingtalkApp), serving(WecomApp)


def use_dingtalk(client, admin, ding, secret="ding-secret"):
    return client.put("/v1/settings/dingtalk-app", headers={**admin, "If-Match": "*"}, json={
        "app_key": ding.app_key, "app_secret": secret, "agent_id": ding.agent_id, "api_endpoint": ding.url,
        "oapi_endpoint": ding.url})


def use_wecom(client, admin, wecom, secret="wecom-secret"):
    return client.put("/v1/settings/wecom-app", headers={**admin, "If-Match": "*"}, json={
        "corp_id": wecom.corp_id, "secret": secret, "agent_id": wecom.agent_id, "endpoint": wecom.url})


def rep_wants(client, token_for, feed, channel, **ids):
    """rep-1 picks `channel` for new leads (and only the inbox otherwise), with their userid."""
    feed.user("rep-1")
    put = client.put("/v1/preferences/me", headers=token_for("rep-1"), json={
        "channels": {"lead_assigned": ["inbox", channel]}, "language": "en", **ids})
    assert put.status_code == 200, put.json
    return put.json


def test_a_new_lead_reaches_the_rep_as_a_dingtalk_work_notification_with_one_cached_token(rt, client, admin,
                                                                                         token_for, feed, ding):
    put = use_dingtalk(client, admin, ding)
    assert put.status_code == 200 and put.json["has_app_secret"] and "app_secret" not in put.json
    assert b"ding-secret" not in bytes(rt.db.settings.find_one({"_id": "dingtalk-app"})["app_secret"])
    assert rep_wants(client, token_for, feed, "dingtalk_work", dingtalk_userid="manager4220")[
        "dingtalk_userid"] == "manager4220"
    assign_lead(feed, "L1")
    assign_lead(feed, "L2")
    feed.customer("C1", level="A")  # the cadence reminder it plans later goes by the default: inbox only
    assert deliveries.run(rt) == {"sent": 2, "failed": 0, "parked": 0}
    assert deliveries.run(rt)["sent"] == 0
    messages = ding.messages()
    assert [(m["agent_id"], m["userid_list"], m["msg"]["msgtype"]) for m in messages] == [
        (2001, "manager4220", "markdown")] * 2
    assert all(m["msg"]["markdown"]["title"] == "A new lead is yours" for m in messages)
    assert len(ding.at(TOKEN_PATH)) == 1  # fetched once, cached for both
    assert b"ding-token" not in bytes(rt.db.app_tokens.find_one()["token"])  # sealed at rest too

    ding.tokens.clear()  # DingTalk dropped the token before its expiry: refused once, then fetched anew
    assign_lead(feed, "L3")
    assert deliveries.run(rt)["failed"] == 1
    assert rows(rt, channel="dingtalk_work", lead_id="L3")[0]["last_error"] == "dingtalk refused: code 40014"
    rt.db.deliveries.update_many({"status": "failed"}, {"$set": {"next_attempt_at": rt.clock.now()}})
    assert deliveries.run(rt)["sent"] == 1 and len(ding.at(TOKEN_PATH)) == 2


def test_a_wrong_app_secret_or_no_userid_sends_no_dingtalk_message(rt, client, admin, token_for, feed, ding):
    use_dingtalk(client, admin, ding, secret="not-it")
    rep_wants(client, token_for, feed, "dingtalk_work", dingtalk_userid="manager4220")
    assign_lead(feed, "L1")
    assert deliveries.run(rt)["failed"] == 1
    assert rows(rt, channel="dingtalk_work")[0]["last_error"] == "dingtalk refused: invalidClientIdOrSecret"
    assert ding.messages() == []
    client.put("/v1/preferences/me", headers=token_for("rep-1"), json={"dingtalk_userid": None})
    assign_lead(feed, "L2")  # no userid: no row, the inbox still has it
    assert rows(rt, channel="dingtalk_work", lead_id="L2") == []


def test_a_new_lead_reaches_the_rep_as_a_wecom_app_message_and_an_expired_token_is_fetched_again(
        rt, client, admin, token_for, feed, wecom):
    put = use_wecom(client, admin, wecom)
    assert put.status_code == 200 and put.json["has_secret"] and "secret" not in put.json
    rep_wants(client, token_for, feed, "wecom_app", wecom_userid="zhang.san")
    assign_lead(feed, "L1")
    assign_lead(feed, "L2")
    assert deliveries.run(rt)["sent"] == 2
    assert [(m["agentid"], m["touser"], m["msgtype"]) for m in wecom.messages()] == [(1000002, "zhang.san", "text")] * 2
    assert "A new lead is yours" in wecom.messages()[0]["text"]["content"]
    assert len(wecom.at("/cgi-bin/gettoken")) == 1
    wecom.tokens.clear()  # expired at WeCom: wechatpy fetches a new one and sends, within the one send
    assign_lead(feed, "L3")
    assert deliveries.run(rt)["sent"] == 1 and len(wecom.at("/cgi-bin/gettoken")) == 2 and len(wecom.messages()) == 3


def test_a_userid_outside_the_wecom_app_fails_the_delivery_saying_so(rt, client, admin, token_for, feed, wecom):
    use_wecom(client, admin, wecom)
    rep_wants(client, token_for, feed, "wecom_app", wecom_userid="li.si")
    assign_lead(feed, "L1")
    assert deliveries.run(rt)["failed"] == 1
    assert rows(rt, channel="wecom_app")[0]["last_error"] == "wecom: the userid is not in the app's visible range"


def test_corp_app_settings_are_for_admins_check_their_endpoints_and_a_host_no_longer_allowed_is_not_reached(
        rt, client, token_for, feed, ding):
    admin = token_for("u-admin", "admin")
    body = {"app_key": "k", "app_secret": "s", "agent_id": 1, "api_endpoint": ding.url}
    refused = client.put("/v1/settings/dingtalk-app", headers=admin, json=body)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "api_endpoint"
    allow_local_receivers(client, admin)
    assert client.put("/v1/settings/dingtalk-app", headers=token_for("rep-1"), json=body).status_code == 403
    assert client.get("/v1/settings/wecom-app", headers=token_for("rep-1")).status_code == 403
    assert client.get("/v1/settings/wecom-app", headers=admin).status_code == 404  # not set yet
    no_agent = client.put("/v1/settings/wecom-app", headers=admin, json={"corp_id": "c", "secret": "s", "agent_id": 0})
    assert no_agent.status_code == 400 and no_agent.json["errors"][0]["field"] == "agent_id"
    assert use_dingtalk(client, admin, ding).status_code == 200
    rep_wants(client, token_for, feed, "dingtalk_work", dingtalk_userid="manager4220")
    assert client.put("/v1/settings/outbound", headers={**admin, "If-Match": "*"},
                      json={"allowed_private_hosts": []}).status_code == 200
    assign_lead(feed, "L1")
    assert deliveries.run(rt)["failed"] == 1
    assert rows(rt, channel="dingtalk_work")[0]["last_error"].startswith("blocked: 127.0.0.1 resolves to a loopback")
    assert ding.requests == []


def test_preferences_take_the_new_channels_per_kind_and_name_a_bad_one(client, token_for, feed):
    rep = token_for("rep-1")
    bad = client.put("/v1/preferences/me", headers=rep, json={"channels": {"lead_assigned": ["dingtalk"]}})
    assert bad.status_code == 400 and "channels" in bad.json["errors"][0]["field"]
    empty = client.put("/v1/preferences/me", headers=rep, json={"wecom_userid": ""})
    assert empty.status_code == 400 and empty.json["errors"][0]["field"] == "wecom_userid"
    got = client.put("/v1/preferences/me", headers=rep, json={
        "channels": {"next_contact": ["inbox", "dingtalk_work"], "overdue": ["wecom_app"]}, "wecom_userid": "w1"}).json
    assert got["channels"]["next_contact"] == ["inbox", "dingtalk_work"] and got["wecom_userid"] == "w1"
    assert got["dingtalk_userid"] is None


def test_no_sdk_request_reaches_a_provider_outside_a_send(ding):
    from alibabacloud_dingtalk.oauth2_1_0 import models
    from alibabacloud_dingtalk.oauth2_1_0.client import Client
    from alibabacloud_tea_openapi import models as openapi

    from notify.channels import sdk_http  # noqa: F401 - notify pins the SDKs' HTTP as it loads
    client = Client(openapi.Config(endpoint=ding.url.removeprefix("http://"), protocol="http"))
    with pytest.raises(Exception, match="an SDK request outside a send"):  # in the SDK's own exception
        client.get_access_token(models.GetAccessTokenRequest(app_key=ding.app_key, app_secret=ding.app_secret))
    assert ding.requests == []  # unchecked, it would have gone straight to the host

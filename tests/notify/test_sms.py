"""SMS to contacts through Aliyun SMS and Tencent Cloud SMS with their official SDKs (issue 25, points 6
and 9), against local stand-ins that check the requests' signatures with the configured secret;
receipts update the delivery, an invalid number stops SMS to the contact, a reply 退订 unsubscribes."""
from datetime import timedelta

import pytest

from crm_common import sealed
from crm_common.testing.events import expect_events
from crm_common.testing.snapshots import contact
from notify.app import create_app
from notify.contacts import outbox, store
from notify.deliveries import outbound as deliveries
from notify.migrations.reseal import reseal

from .conftest import allow_local_receivers
from .standins import AliyunSms, TencentSms, serving

TOKEN = "callback-token-0123456789"
MOBILE = "+8613800138000"


@pytest.fixture
def admin(client, token_for):
    return allow_local_receivers(client, token_for("u-admin", "admin"))


aliyun, tencent = serving(AliyunSms), serving(TencentSms)


def use_aliyun(client, admin, aliyun, secret="aliyun-secret", **extra):
    return client.put("/v1/settings/sms", headers={**admin, "If-Match": "*"}, json={
        "provider": "aliyun", "access_key_id": aliyun.key_id, "access_key_secret": secret, "sign_name": "云销",
        "template_code": "SMS_1001", "endpoint": aliyun.url, "callback_token": TOKEN, **extra})


def use_tencent(client, admin, tencent, secret="tencent-secret"):
    return client.put("/v1/settings/sms", headers={**admin, "If-Match": "*"}, json={
        "provider": "tencent", "access_key_id": tencent.secret_id, "access_key_secret": secret, "sign_name": "云销",
        "template_code": "1880", "sdk_app_id": "1400000001", "endpoint": tencent.url, "callback_token": TOKEN})


def sms_to(rt, feed, key="greeting-1", contact_id="K1", customer_id="C1"):
    """A contact with a mobile, and a transactional SMS queued to it."""
    feed.customer(customer_id, contacts=[contact("Wang Fang", phones=[MOBILE], contact_id=contact_id)])
    assert rt.transaction(lambda s: outbox.queue(rt, s, contact_id=contact_id, channel="sms", kind="greeting",
                                                 subject=None, body="王女士，生日快乐！", marketing=False,
                                                 key=key)) == "queued"
    return rt.db.deliveries.find_one({"key": key})


def test_aliyun_sends_once_signed_with_acs3_and_a_wrong_secret_is_refused_and_retried(rt, client, admin, feed,
                                                                                     aliyun):
    put = use_aliyun(client, admin, aliyun)
    assert put.status_code == 200, put.json
    assert put.json["has_access_key_secret"] and put.json["has_callback_token"]
    assert "access_key_secret" not in put.json and "callback_token" not in put.json
    stored = rt.db.settings.find_one({"_id": "sms"})
    assert b"aliyun-secret" not in bytes(stored["access_key_secret"]) and b"callback" not in bytes(stored["callback_token"])
    row = sms_to(rt, feed)
    assert deliveries.run(rt) == {"sent": 1, "failed": 0, "parked": 0}
    assert deliveries.run(rt)["sent"] == 0  # exactly once
    [sent] = aliyun.sent()
    assert (sent["PhoneNumbers"], sent["SignName"], sent["TemplateCode"]) == (MOBILE, "云销", "SMS_1001")
    assert sent["TemplateParam"] == {"content": "王女士，生日快乐！"} and sent["OutId"] == row["_id"]
    done = rt.db.deliveries.find_one({"_id": row["_id"]})
    assert (done["status"], done["provider"], done["provider_message_id"]) == ("sent", "aliyun", "biz-1")

    assert use_aliyun(client, admin, aliyun, secret="not-the-secret").status_code == 200
    second = sms_to(rt, feed, key="greeting-2", contact_id="K2", customer_id="C2")
    assert deliveries.run(rt)["failed"] == 1
    failed = rt.db.deliveries.find_one({"_id": second["_id"]})
    assert failed["last_error"] == "aliyun refused: SignatureDoesNotMatch" and failed["next_attempt_at"] > rt.clock.now()
    assert len(aliyun.sent()) == 1


def test_tencent_sends_signed_with_tc3_and_a_wrong_secret_is_refused(rt, client, admin, feed, tencent):
    assert use_tencent(client, admin, tencent).status_code == 200
    row = sms_to(rt, feed)
    assert deliveries.run(rt)["sent"] == 1
    [sent] = tencent.sent()
    assert sent["PhoneNumberSet"] == [MOBILE] and sent["TemplateParamSet"] == ["王女士，生日快乐！"]
    assert (sent["SmsSdkAppId"], sent["TemplateId"], sent["SessionContext"]) == ("1400000001", "1880", row["_id"])
    assert rt.db.deliveries.find_one({"_id": row["_id"]})["provider_message_id"] == "sid-1"
    assert use_tencent(client, admin, tencent, secret="wrong").status_code == 200
    sms_to(rt, feed, key="greeting-2", contact_id="K2", customer_id="C2")
    assert deliveries.run(rt)["failed"] == 1
    assert rt.db.deliveries.find_one({"key": "greeting-2"})["last_error"] == "tencent refused: AuthFailure.SignatureFailure"


def test_a_number_the_provider_calls_invalid_is_not_retried_and_stops_sms_to_the_contact(rt, client, admin, feed,
                                                                                        aliyun):
    use_aliyun(client, admin, aliyun)
    aliyun.code = "isv.MOBILE_NUMBER_ILLEGAL"
    row = sms_to(rt, feed)
    assert deliveries.run(rt) == {"sent": 0, "failed": 0, "parked": 0, "refused": 1}
    done = rt.db.deliveries.find_one({"_id": row["_id"]})
    assert done["status"] == "refused" and "isv.MOBILE_NUMBER_ILLEGAL" in done["last_error"]
    assert store.get(rt, "K1")["bounced"]["sms"]["reason"] == "sms isv.MOBILE_NUMBER_ILLEGAL"
    aliyun.code = "isv.BUSINESS_LIMIT_CONTROL"  # a provider's limit: retried later, the contact keeps SMS
    sms_to(rt, feed, key="greeting-2", contact_id="K2", customer_id="C2")
    assert deliveries.run(rt)["failed"] == 1 and not (store.get(rt, "K2").get("bounced") or {}).get("sms")


def test_an_sms_interrupted_mid_send_is_parked_not_sent_twice(rt, client, admin, feed, aliyun):
    use_aliyun(client, admin, aliyun)
    row = sms_to(rt, feed)
    assert deliveries.claim(rt, "dead-worker")["_id"] == row["_id"]  # then the worker died mid-send
    rt.clock.set_offset(deliveries.LEASE + timedelta(seconds=1))
    assert deliveries.run(rt)["sent"] == 0
    parked = rt.db.deliveries.find_one({"_id": row["_id"]})
    assert parked["status"] == "parked" and "interrupted" in parked["last_error"] and aliyun.sent() == []


def test_a_key_rotation_reseals_the_sms_secrets_and_the_sms_still_goes(rt, client, admin, feed, aliyun, app_for):
    use_aliyun(client, admin, aliyun)
    rotated = app_for(create_app, "notify", NOTIFY_SEALING_KEY="a-new-sealing-key-of-notify-0123456789").extensions["crm"]
    assert reseal(rotated)["apps"] == 1
    stored = rt.db.settings.find_one({"_id": "sms"})
    for name in ("access_key_secret", "callback_token"):
        assert sealed.unseal_any(bytes(stored[name]), ["a-new-sealing-key-of-notify-0123456789"], "notify", "sms", name)
    sms_to(rotated, feed)
    assert deliveries.run(rotated)["sent"] == 1 and len(aliyun.sent()) == 1


def test_the_sms_setting_is_for_admins_checks_its_endpoint_and_names_bad_fields(client, token_for, aliyun):
    admin = token_for("u-admin", "admin")
    body = {"provider": "aliyun", "access_key_id": "AK", "access_key_secret": "S", "sign_name": "云销",
            "template_code": "SMS_1", "endpoint": aliyun.url, "callback_token": TOKEN}
    refused = client.put("/v1/settings/sms", headers=admin, json=body)  # loopback, not allowed
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "endpoint"
    allow_local_receivers(client, admin)
    assert client.put("/v1/settings/sms", headers=token_for("rep-1"), json=body).status_code == 403
    no_app = client.put("/v1/settings/sms", headers=admin, json={**body, "provider": "tencent"})
    assert no_app.status_code == 400 and "sdk_app_id" in str(no_app.json["errors"])
    no_secret = client.put("/v1/settings/sms", headers=admin, json={k: v for k, v in body.items()
                                                                     if k != "access_key_secret"})
    assert no_secret.status_code == 400 and no_secret.json["errors"][0]["field"] == "access_key_secret"
    first = client.put("/v1/settings/sms", headers=admin, json=body)
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    assert client.put("/v1/settings/sms", headers=admin, json=body).status_code == 428  # If-Match once it exists
    kept = client.put("/v1/settings/sms", headers={**admin, "If-Match": '"1"'},
                      json={k: v for k, v in body.items() if k not in ("access_key_secret", "callback_token")})
    assert kept.status_code == 200 and kept.json["has_access_key_secret"] and kept.json["has_callback_token"]
    assert client.get("/v1/settings/sms", headers=token_for("rep-1")).status_code == 403


def callback(client, provider, body, token=TOKEN):
    return client.post(f"/v1/sms/callback/{provider}", query_string={"token": token} if token else {}, json=body)


def test_aliyun_receipts_update_the_delivery_and_an_invalid_number_stops_sms_to_the_contact(rt, client, admin, feed,
                                                                                           aliyun):
    use_aliyun(client, admin, aliyun)
    good, bad = sms_to(rt, feed), sms_to(rt, feed, key="greeting-2", contact_id="K2", customer_id="C2")
    assert deliveries.run(rt)["sent"] == 2
    assert callback(client, "aliyun", [{"phone_number": "13800138000", "success": True}], token="guess").status_code == 403
    assert callback(client, "aliyun", [{"phone_number": "13800138000", "success": True}], token=None).status_code == 403
    push = [{"phone_number": "13800138000", "send_time": "2026-12-07 10:00:00", "report_time": "2026-12-07 10:00:08",
             "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
             "biz_id": "biz-1", "out_id": good["_id"]},
            {"phone_number": "13800138000", "success": False, "err_code": "MOBILE_NOT_ON_SERVICE",
             "err_msg": "停机", "biz_id": "biz-2", "out_id": bad["_id"]}]
    answer = callback(client, "aliyun", push)
    assert answer.status_code == 200 and answer.json == {"code": 0, "msg": "成功", "applied": 2}
    assert callback(client, "aliyun", push).json["applied"] == 0  # the provider's repeat changes nothing
    assert rt.db.deliveries.find_one({"_id": good["_id"]})["receipt"]["status"] == "delivered"
    receipt = rt.db.deliveries.find_one({"_id": bad["_id"]})["receipt"]
    assert (receipt["status"], receipt["code"]) == ("failed", "MOBILE_NOT_ON_SERVICE")
    assert store.get(rt, "K2")["bounced"]["sms"] and not (store.get(rt, "K1").get("bounced") or {}).get("sms")
    listed = client.get("/v1/deliveries", headers=admin, query_string={"channel": "sms"}).json["items"]
    assert {(d["provider_message_id"], d["receipt"]["status"]) for d in listed} == {("biz-1", "delivered"),
                                                                                     ("biz-2", "failed")}
    assert rt.transaction(lambda s: outbox.queue(rt, s, contact_id="K2", channel="sms", kind="greeting", subject=None,
                                                 body="x", marketing=False, key="greeting-3")) == "no_address"
    bad_body = callback(client, "aliyun", [{"phone_number": "13800138000", "err_code": "DELIVERED"}])
    assert bad_body.status_code == 400 and bad_body.json["errors"][0]["field"] == "0.success"
    assert callback(client, "aliyun", "not json").status_code == 400


@pytest.mark.parametrize("reply", ["退订", " td ", "T"])
def test_a_reply_td_t_or_tuiding_unsubscribes_the_number_on_both_providers(rt, client, admin, feed, aliyun, reply):
    use_aliyun(client, admin, aliyun)
    feed.customer("C1", contacts=[contact("Wang Fang", phones=[MOBILE], contact_id="K1")])
    with expect_events(rt, [("crm.contact.unsubscribed", {"contact_id": "K1", "channel": "sms",
                                                         "source": "sms_reply"})]):
        answer = callback(client, "aliyun", [{"phone_number": "13800138000", "send_time": "2026-12-07 10:00:00",
                                              "content": reply, "sign_name": "云销", "dest_code": "1001",
                                              "sequence_id": 1}])
        assert answer.status_code == 200 and answer.json["applied"] == 1
    assert store.get(rt, "K1")["suppressed"]["sms"]["source"] == "sms_reply"


def test_tencent_receipts_and_replies_in_its_own_shapes(rt, client, admin, feed, tencent):
    use_tencent(client, admin, tencent)
    row = sms_to(rt, feed)
    assert deliveries.run(rt)["sent"] == 1
    receipt = [{"user_receive_time": "2026-12-07 10:00:08", "nationcode": "86", "mobile": "13800138000",
                "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功", "sid": "sid-1"}]
    assert callback(client, "tencent", receipt).json == {"result": 0, "errmsg": "OK", "applied": 1}
    assert rt.db.deliveries.find_one({"_id": row["_id"]})["receipt"]["code"] == "DELIVRD"
    assert callback(client, "tencent", {"mobile": "13800138000", "nationcode": "86", "text": "好的",
                                        "time": 1796000000, "extend": "", "sign": "云销"}).json["applied"] == 0
    assert not (store.get(rt, "K1").get("suppressed") or {}).get("sms")  # any other reply is a reply
    assert callback(client, "tencent", {"mobile": "13800138000", "nationcode": "86", "text": "TD",
                                        "time": 1796000000}).json["applied"] == 1
    assert store.get(rt, "K1")["suppressed"]["sms"]
    bad = callback(client, "tencent", [{"sid": "sid-1", "report_status": "MAYBE"}])
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "0.report_status"

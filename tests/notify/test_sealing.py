"""Channel secrets are sealed with notify's own key (issue 21, point 6): robot URLs (which carry the
credential), signing secrets and the SMTP password; the JWT secret every service shares opens none of
them, GET /v1/robots masks the URL's credential, and a key rotation keeps old values readable while
new ones use the new key (then notify.migrations.reseal moves every value to it, webhook subscriptions'
URLs and secrets too)."""
import pytest

from crm_common import sealed
from notify.app import create_app
from notify.deliveries import outbound as deliveries
from notify.migrations.reseal import reseal
from notify.preferences import store as prefs

from .conftest import allow_local_receivers
from .receivers import SmtpReceiver
from .test_channels import assign_lead

K1 = "first-sealing-key-of-notify-0123456789"
K2 = "second-sealing-key-of-notify-9876543210"


@pytest.fixture
def app(app_for):
    return app_for(create_app, "notify", NOTIFY_SEALING_KEY=K1)


@pytest.fixture
def admin(client, token_for):
    return allow_local_receivers(client, token_for("u-admin", "admin"))


def register(client, admin, url, kind="wecom", secret=None):
    made = client.post("/v1/robots", headers=admin, json={"name": kind, "kind": kind, "url": url, "secret": secret,
                                                         "user_ids": ["rep-1"]})
    assert made.status_code == 201, made.json
    return made.json


def opens(value, key, *context):
    try:
        sealed.unseal(bytes(value), key, "notify", *context)
        return True
    except sealed.Tampered:
        return False


def test_robot_urls_and_secrets_are_sealed_with_notifys_own_key_and_shown_masked(rt, client, admin, http):
    wecom = register(client, admin, http.url + "/wecom?key=WECOM-KEY&debug=1")
    ding = register(client, admin, http.url + "/ding?access_token=T1", kind="dingtalk", secret="SECding")
    assert wecom["url"] == http.url + "/wecom?key=***&debug=1" and ding["url"] == http.url + "/ding?access_token=***"
    listed = client.get("/v1/robots", headers=admin)
    assert sorted(r["url"] for r in listed.json) == sorted([wecom["url"], ding["url"]])
    assert "WECOM-KEY" not in listed.get_data(as_text=True) and "T1" not in listed.get_data(as_text=True)
    for stored in rt.db.robots.find({}):
        assert "WECOM-KEY" not in repr(stored) and "access_token=T1" not in repr(stored)
        assert opens(stored["url"], K1, "robot-url", stored["_id"])
        assert not opens(stored["url"], rt.settings.jwt_secret, "robot-url", stored["_id"])  # shared: not enough
    stored = rt.db.robots.find_one({"_id": ding["id"]})
    assert opens(stored["secret"], K1, "robot", ding["id"]) and not opens(stored["secret"], rt.settings.jwt_secret,
                                                                          "robot", ding["id"])
    smtp = SmtpReceiver()
    try:
        assert client.put("/v1/settings/smtp", headers=admin, json={
            "host": "127.0.0.1", "port": smtp.port, "from": "crm@example.cn", "password": "s3cret"}).status_code == 200
    finally:
        smtp.close()
    password = rt.db.settings.find_one({"_id": "smtp"})["password"]
    assert opens(password, K1, "smtp") and not opens(password, rt.settings.jwt_secret, "smtp")


def test_a_rotated_key_reads_old_values_seals_new_ones_and_reseal_moves_every_value(rt, client, admin, feed, http,
                                                                                   app_for):
    feed.user("rep-1")
    prefs.put(rt, "rep-1", {"channels": {"default": ["robot"]}})
    old = register(client, admin, http.url + "/old?key=OLD-KEY")
    hook = client.post("/v1/subscriptions", headers=admin, json={"url": http.url + "/hook",
                                                                 "types": ["crm.customer.*"]}).json

    rotated_app = app_for(create_app, "notify", NOTIFY_SEALING_KEY=f"{K2},{K1}")  # the new key first
    rotated = rotated_app.extensions["crm"]
    assign_lead(feed, "L1")
    assert deliveries.run(rotated)["sent"] == 1
    assert [r["query"]["key"] for r in http.at("/old")] == [["OLD-KEY"]]  # the old value still opens

    new = register(rotated_app.test_client(), admin, http.url + "/new?key=NEW-KEY")
    stored = rt.db.robots.find_one({"_id": new["id"]})
    assert opens(stored["url"], K2, "robot-url", new["id"]) and not opens(stored["url"], K1, "robot-url", new["id"])

    assert reseal(rotated) == {"robots": 2, "subscriptions": 1, "rule_webhooks": 0, "smtp": 0, "apps": 0,
                               "unreadable": 0}
    for robot in rt.db.robots.find({}):
        assert opens(robot["url"], K2, "robot-url", robot["_id"])
    subscription = rt.db.subscriptions.find_one({"_id": hook["id"]})
    assert opens(subscription["secret"], K2, "subscription", hook["id"])
    assert opens(subscription["url"], K2, "subscription-url", hook["id"])
    only_new = app_for(create_app, "notify", NOTIFY_SEALING_KEY=K2).extensions["crm"]  # the old key dropped
    assign_lead(feed, "L2")
    assert deliveries.run(only_new)["sent"] == 2
    assert [r["query"]["key"] for r in http.at("/old")] == [["OLD-KEY"], ["OLD-KEY"]]
    assert [r["query"]["key"] for r in http.at("/new")] == [["NEW-KEY"]]
    assert old["url"].endswith("/old?key=***")

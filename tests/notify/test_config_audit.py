"""Configuration leaves a trace (issue 21, point 10): notify's reminder settings, SMTP, robots and
outbound settings are kept in its audit log and announced as crm.config.changed, with the robot's URL
and secret and the SMTP password masked."""
import pytest

from crm_common.testing.events import data_of


@pytest.fixture
def admin(token_for):
    return token_for("u-admin", "admin")


def audit(client, admin, kind):
    answer = client.get(f"/v1/audit?kind={kind}", headers=admin)
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def test_a_robot_is_kept_created_and_removed_with_its_credentials_masked(client, admin, rt):
    url = "https://8.8.8.8/robot?access_token=TOKEN-IN-URL"
    made = client.post("/v1/robots", headers=admin, json={"name": "sales", "kind": "dingtalk", "url": url,
                                                          "secret": "SIGNING-SECRET", "department_ids": ["D1"]})
    assert made.status_code == 201, made.json
    assert client.delete(f"/v1/robots/{made.json['id']}", headers=admin).status_code == 204
    created, removed = audit(client, admin, "robot")
    assert created["before"] is None and created["after"]["name"] == "sales"
    assert created["after"]["url"] == "***" and created["after"]["secret"] == "***"
    assert removed["before"]["department_ids"] == ["D1"] and removed["after"] is None
    assert [d["actor"] for d in data_of(rt, "crm.config.changed")] == ["u-admin", "u-admin"]
    kept = repr(list(rt.db.audit.find())) + repr(data_of(rt, "crm.config.changed"))
    assert "TOKEN-IN-URL" not in kept and "SIGNING-SECRET" not in kept


def test_smtp_reminders_and_outbound_changes_are_kept_without_the_password(client, admin, rt):
    allowed = client.put("/v1/settings/outbound", headers=admin, json={"allowed_private_hosts": ["127.0.0.1"]})
    assert allowed.status_code == 200, allowed.json
    put = client.put("/v1/settings/smtp", headers=admin, json={"host": "127.0.0.1", "port": 2525,
                                                              "from": "crm@example.cn", "password": "PW-123"})
    assert put.status_code == 200, put.json
    reminders = client.put("/v1/settings/reminders", headers={**admin, "If-Match": "*"},
                           json={"cadence_days": {"A": 2}})
    assert reminders.status_code == 200
    (outbound,) = audit(client, admin, "outbound")
    assert outbound["before"] is None and outbound["after"]["allowed_private_hosts"] == ["127.0.0.1"]
    (smtp,) = audit(client, admin, "smtp")
    assert smtp["before"] is None and smtp["after"]["host"] == "127.0.0.1" and smtp["after"]["password"] == "***"
    (reminders,) = audit(client, admin, "reminders")
    assert reminders["before"]["cadence_days"]["A"] == 3 and reminders["after"]["cadence_days"]["A"] == 2
    assert [d["kind"] for d in data_of(rt, "crm.config.changed")] == ["outbound", "smtp", "reminders"]
    assert "PW-123" not in repr(list(rt.db.audit.find())) + repr(data_of(rt, "crm.config.changed"))


def test_reminder_settings_change_only_with_the_etag_last_read_defaults_included(client, admin):
    read = client.get("/v1/settings/reminders", headers=admin)
    assert read.headers["ETag"] == '"0"'
    missing = client.put("/v1/settings/reminders", headers=admin, json={"cadence_days": {"A": 2}})
    assert missing.status_code == 428 and missing.json["errors"][0]["field"] == "If-Match"
    first = client.put("/v1/settings/reminders", headers={**admin, "If-Match": read.headers["ETag"]},
                       json={"cadence_days": {"A": 2}})
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    stale = client.put("/v1/settings/reminders", headers={**admin, "If-Match": read.headers["ETag"]},
                       json={"cadence_days": {"A": 9}})
    assert stale.status_code == 412
    again = client.get("/v1/settings/reminders", headers=admin)
    assert again.json["cadence_days"]["A"] == 2 and again.headers["ETag"] == '"1"'


def test_the_first_smtp_put_needs_no_if_match_and_every_later_one_does(client, admin):
    client.put("/v1/settings/outbound", headers=admin, json={"allowed_private_hosts": ["127.0.0.1"]})
    body = {"host": "127.0.0.1", "port": 2525, "from": "crm@example.cn"}
    first = client.put("/v1/settings/smtp", headers=admin, json=body)
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    assert client.put("/v1/settings/smtp", headers=admin, json={**body, "port": 2526}).status_code == 428
    read = client.get("/v1/settings/smtp", headers=admin)
    assert read.headers["ETag"] == '"1"'
    changed = client.put("/v1/settings/smtp", headers={**admin, "If-Match": read.headers["ETag"]},
                         json={**body, "port": 2526})
    assert changed.status_code == 200 and changed.json["port"] == 2526
    stale = client.put("/v1/settings/smtp", headers={**admin, "If-Match": read.headers["ETag"]}, json=body)
    assert stale.status_code == 412 and client.get("/v1/settings/smtp", headers=admin).json["port"] == 2526

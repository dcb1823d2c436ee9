"""The API clients and tests rely on (issue 10, point 8): inbox, preferences, admin settings."""
from datetime import timedelta

from .conftest import iso


def lead(feed, lead_id, owner):
    feed.send("crm.lead.assigned", lead_id, {"lead_id": lead_id, "owner_id": owner, "by": "rules",
                                             "assigned_at": iso(feed.now()),
                                             "respond_by": iso(feed.now() + timedelta(hours=24))})


def test_a_user_sees_counts_and_reads_only_their_own_inbox(client, feed, token_for):
    feed.customer("C1", owner_id="rep-1")
    lead(feed, "L1", "rep-1")
    lead(feed, "L2", "rep-2")
    me, other = token_for("rep-1"), token_for("rep-2")
    items = client.get("/v1/inbox", headers=me).json["items"]
    assert sorted(i["kind"] for i in items) == ["customer_assigned", "lead_assigned"]
    item = next(i for i in items if i["kind"] == "lead_assigned")
    assert {"kind", "customer_id", "lead_id", "title", "body", "facts", "suggested_next_step", "due_at"} <= set(item)
    assert item["lead_id"] == "L1" and item["title"] == "新线索已分配给你"
    assert client.get("/v1/inbox/unread-count", headers=me).json == {"count": 2}
    assert client.post(f"/v1/inbox/{item['id']}/read", headers=other).status_code == 404
    read = client.post(f"/v1/inbox/{item['id']}/read", headers=me)
    assert read.status_code == 200 and read.json["read_at"]
    assert client.get("/v1/inbox/unread-count", headers=me).json == {"count": 1}
    assert [i["kind"] for i in client.get("/v1/inbox?unread=true", headers=me).json["items"]] == ["customer_assigned"]
    assert [i["lead_id"] for i in client.get("/v1/inbox", headers=other).json["items"]] == ["L2"]
    assert client.get("/v1/inbox").status_code == 401


def test_preferences_default_to_chinese_shanghai_and_the_inbox(client, token_for):
    me = token_for("rep-1")
    got = client.get("/v1/preferences/me", headers=me).json
    assert got == {"user_id": "rep-1", "channels": {"default": ["inbox"]}, "email": None, "language": "zh",
                   "timezone": "Asia/Shanghai", "quiet_hours": None, "dingtalk_userid": None, "wecom_userid": None}
    put = client.put("/v1/preferences/me", headers=me, json={
        "channels": {"default": ["inbox", "email"], "birthday": ["robot"]}, "email": "rep1@example.cn",
        "language": "en", "timezone": "Europe/Berlin", "quiet_hours": {"start": "22:00", "end": "08:00"}})
    assert put.status_code == 200 and put.json["channels"]["birthday"] == ["robot"]
    assert client.get("/v1/preferences/me", headers=token_for("rep-2")).json["language"] == "zh"
    for bad, field in (({"channels": {"party": ["inbox"]}}, "channels"), ({"channels": {"default": ["fax"]}}, "channels"),
                       ({"timezone": "Mars/Olympus"}, "timezone"), ({"language": "fr"}, "language"),
                       ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "quiet_hours.start")):
        answer = client.put("/v1/preferences/me", headers=me, json=bad)
        assert answer.status_code == 400 and field in [e["field"] for e in answer.json["errors"]], answer.json


def test_only_an_admin_changes_settings_and_secrets_never_come_back(client, token_for):
    admin, rep = token_for("u-admin", "admin"), token_for("rep-1")
    changing = {**admin, "If-Match": "*"}  # the settings' version does not matter here
    assert client.put("/v1/settings/reminders", headers=rep, json={"cadence_days": {"A": 5}}).status_code == 403
    got = client.get("/v1/settings/reminders", headers=admin).json
    assert got["cadence_days"] == {"A": 3, "B": 7, "C": 30} and got["renewal_days_before"] == [90, 60, 30]
    assert got["overdue_after_days"] == 1 and got["escalation_second_step_days"] == 3
    put = client.put("/v1/settings/reminders", headers=changing, json={"renewal_days_before": [45, 15]})
    assert put.json["renewal_days_before"] == [45, 15] and put.json["cadence_days"]["B"] == 7
    client.put("/v1/settings/reminders", headers=changing, json={"cadence_days": {"A": 2}})
    put = client.put("/v1/settings/reminders", headers=changing, json={"cadence_days": {"C": 20}})
    assert put.json["cadence_days"] == {"A": 2, "B": 7, "C": 20}  # one level at a time keeps the others
    assert client.put("/v1/settings/reminders", headers=changing, json={"cadence_days": {"A": 0}}).status_code == 400
    assert client.get("/v1/settings/smtp", headers=admin).status_code == 404
    assert client.put("/v1/settings/smtp", headers=rep, json={"host": "h", "port": 25, "from": "a@b.cn"}).status_code == 403
    made = client.post("/v1/robots", headers=admin, json={"name": "sales", "kind": "dingtalk",
                                                          "url": "https://8.8.8.8/robot?access_token=x",
                                                          "secret": "SEC", "department_ids": ["D1"]})
    assert made.status_code == 201 and "secret" not in made.json
    assert all("secret" not in r for r in client.get("/v1/robots", headers=admin).json)
    bad = client.post("/v1/robots", headers=admin, json={"name": "x", "kind": "telegram", "url": "ftp://x"})
    assert bad.status_code == 400 and {"kind", "url"} <= {e["field"] for e in bad.json["errors"]}
    assert client.get("/v1/deliveries", headers=rep).status_code == 403
    assert client.post("/v1/deliveries/nope/retry", headers=admin).status_code == 404


def test_unknown_job_names_answer_404_listing_the_jobs(client, token_for):
    answer = client.post("/v1/dev/jobs/nope/run", headers=token_for("u-admin", "admin"))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "reminders-due" in text and "deliveries" in text

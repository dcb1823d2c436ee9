"""Configuration leaves a trace (issue 21, point 10): every change of a channel or a set of rules is
kept in lead-intake's audit log with who, when, before and after, and announced as
crm.config.changed on crm.org in the same transaction; a channel's key never appears in either."""
from datetime import datetime, timedelta, timezone

from crm_common.testing.auth import signed_in
from crm_common.testing.events import data_of, of


def audit(client, admin, query=""):
    answer = client.get(f"/v1/audit{query}", headers=admin)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_channel_change_is_kept_with_its_actor_before_and_after_and_no_key(client, admin, rt, new_channel):
    key, channel_id = new_channel("web", quality_weight=10)
    etag = client.get(f"/v1/channels/{channel_id}", headers=admin).headers["ETag"]
    changed = client.patch(f"/v1/channels/{channel_id}", json={"quality_weight": 3},
                           headers={**admin, "If-Match": etag})
    assert changed.status_code == 200
    assert client.post(f"/v1/channels/{channel_id}/revoke", headers=admin).status_code == 200
    items = audit(client, admin, "?kind=channel")["items"]
    assert [(i["kind"], i["actor"]) for i in items] == [("channel", "u-admin")] * 3
    created, patched, revoked = items
    assert created["before"] is None and created["after"]["name"] == "web"
    assert created["after"]["key_hash"] == "***"  # whether set, never what
    assert patched["before"]["name"] == "web"
    assert patched["before"]["quality_weight"] == 10 and patched["after"]["quality_weight"] == 3
    assert revoked["before"]["active"] is True and revoked["after"]["active"] is False
    assert datetime.fromisoformat(patched["at"]) > datetime.now(timezone.utc) - timedelta(minutes=5)
    published = data_of(rt, "crm.config.changed")
    assert [(d["service"], d["kind"], d["subject"], d["actor"]) for d in published] == \
        [("lead-intake", "channel", channel_id, "u-admin")] * 3
    assert {e["subject"] for e in of(rt, "crm.config.changed")} == {f"lead-intake:channel:{channel_id}"}
    everything = repr(list(rt.db.audit.find())) + repr(published)
    assert key["X-API-Key"] not in everything
    assert rt.db.channels.find_one({"_id": channel_id})["key_hash"] not in everything


def test_a_rules_change_is_kept_from_the_defaults_and_filtered_by_kind_and_time(client, admin, rt):
    read = client.get("/v1/rules/scoring", headers=admin)
    before = read.json
    put = client.put("/v1/rules/scoring", json={**before, "phone": 7},
                     headers={**admin, "If-Match": read.headers["ETag"]})
    assert put.status_code == 200, put.json
    (row,) = audit(client, admin, "?kind=rules.scoring")["items"]
    assert row["before"] == before and row["after"]["phone"] == 7
    assert audit(client, admin, "?kind=channel")["items"] == []
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert audit(client, admin, f"?since={later.replace('+', '%2B')}")["items"] == []
    assert data_of(rt, "crm.config.changed")[0]["kind"] == "rules.scoring"


def test_a_refused_change_leaves_no_trace(client, admin, rt):
    missing = client.patch("/v1/channels/nope", json={"quality_weight": 3}, headers={**admin, "If-Match": "*"})
    assert missing.status_code == 404
    refused = client.put("/v1/rules/scoring", json={"phone": -5}, headers={**admin, "If-Match": "*"})
    assert refused.status_code == 400
    assert audit(client, admin)["items"] == [] and of(rt, "crm.config.changed") == []



def test_only_admins_read_the_audit_log_and_it_is_paged(client, admin, rt, new_channel):
    for n in range(3):
        new_channel(f"web-{n}")
    rep = signed_in(rt, "rep-1", "rep")
    refused = client.get("/v1/audit", headers=rep)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    first = audit(client, admin, "?limit=2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = audit(client, admin, f"?limit=2&cursor={first['next_cursor']}")
    assert [i["after"]["name"] for i in first["items"] + rest["items"]] == ["web-0", "web-1", "web-2"]
    assert rest["next_cursor"] is None
    assert client.get("/v1/audit?since=yesterday", headers=admin).status_code == 400


def test_rules_are_replaced_only_with_the_etag_last_read_defaults_included(client, admin, rt):
    read = client.get("/v1/rules/assignment", headers=admin)
    assert read.headers["ETag"] == '"0"'  # the defaults, never replaced
    body = {"default_team_id": "t1"}
    missing = client.put("/v1/rules/assignment", json=body, headers=admin)
    assert missing.status_code == 428 and missing.json["errors"][0]["field"] == "If-Match"
    first = client.put("/v1/rules/assignment", json=body, headers={**admin, "If-Match": read.headers["ETag"]})
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    stale = client.put("/v1/rules/assignment", json={"default_team_id": "t2"},
                       headers={**admin, "If-Match": read.headers["ETag"]})  # another admin's edit came first
    assert stale.status_code == 412
    assert client.get("/v1/rules/assignment", headers=admin).json["default_team_id"] == "t1"
    assert client.get("/v1/rules/assignment", headers=admin).headers["ETag"] == '"1"'
    rows = audit(client, admin, "?kind=rules.assignment")["items"]
    assert [row["after"]["default_team_id"] for row in rows] == ["t1"]  # the refused one left no trace


def test_a_channel_is_changed_only_with_the_etag_last_read(client, admin, new_channel):
    _, channel_id = new_channel("web", quality_weight=10)
    read = client.get(f"/v1/channels/{channel_id}", headers=admin)
    assert read.status_code == 200 and read.headers["ETag"] == '"1"' and read.json["quality_weight"] == 10
    missing = client.patch(f"/v1/channels/{channel_id}", json={"quality_weight": 3}, headers=admin)
    assert missing.status_code == 428 and missing.json["errors"][0]["field"] == "If-Match"
    first = client.patch(f"/v1/channels/{channel_id}", json={"quality_weight": 3},
                         headers={**admin, "If-Match": read.headers["ETag"]})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.patch(f"/v1/channels/{channel_id}", json={"quality_weight": 7},
                         headers={**admin, "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    assert client.get(f"/v1/channels/{channel_id}", headers=admin).json["quality_weight"] == 3
    assert client.get("/v1/channels/nope", headers=admin).status_code == 404


def test_a_key_rotation_is_kept_as_who_and_when_never_the_key(client, admin, rt, new_channel):
    _, channel_id = new_channel("web")
    rotated = client.post(f"/v1/channels/{channel_id}/rotate-key", headers=admin)
    assert rotated.status_code == 200
    (row,) = audit(client, admin, "?kind=channel.key")["items"]
    assert (row["actor"], row["before"], row["after"]) == ("u-admin", {"key_hash": "***"}, {"key_hash": "***"})
    assert rotated.json["api_key"] not in repr(list(rt.db.audit.find())) + repr(data_of(rt, "crm.config.changed"))

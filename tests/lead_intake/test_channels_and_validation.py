"""Channels authenticate with their own keys; bad input is named and nothing is half-written."""
import time

from crm_common.testing.events import outbox_events
from lead_intake.channels import keys
from lead_intake.app import create_app


def test_the_key_is_shown_once_and_stored_hashed(client, admin, rt, new_channel):
    key, channel_id = new_channel("landing-page", quality_weight=15)
    stored = rt.db.channels.find_one({"_id": channel_id})
    assert key["X-API-Key"] not in str(stored)
    listed = client.get("/v1/channels", headers=admin).json
    assert [c["name"] for c in listed] == ["landing-page"] and "api_key" not in listed[0]


def test_rotating_a_key_retires_the_old_one(client, admin, new_channel):
    old, channel_id = new_channel()
    new = {"X-API-Key": client.post(f"/v1/channels/{channel_id}/rotate-key", headers=admin).json["api_key"]}
    lead = {"name": "Zhang", "phone": "13800138000"}
    assert client.post("/v1/leads", json=lead, headers=old).status_code == 401
    assert client.post("/v1/leads", json=lead, headers=new).status_code == 201


def test_a_revoked_channel_is_refused(client, admin, new_channel):
    key, channel_id = new_channel()
    assert client.post(f"/v1/channels/{channel_id}/revoke", headers=admin).json["active"] is False
    response = client.post("/v1/leads", json={"name": "Zhang", "phone": "13800138000"}, headers=key)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_only_admins_manage_channels(client, token_for):
    assert client.post("/v1/channels", json={"name": "x"}, headers=token_for("rep1")).status_code == 403
    assert client.post("/v1/channels", json={"name": "x"}).status_code == 401


def test_a_channel_over_its_rate_limit_gets_429_with_retry_after(client, new_channel):
    key, _ = new_channel(rate_limit_per_minute=3)
    codes = [client.post("/v1/leads", json={"name": "A", "email": f"a{i}@b.cn"}, headers=key).status_code
             for i in range(4)]
    assert codes[:3] == [201, 201, 201]
    limited = client.post("/v1/leads", json={"name": "A", "email": "z@b.cn"}, headers=key)
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60


def test_every_bad_field_is_named(client, channel, rt):
    response = client.post("/v1/leads", headers=channel, json={
        "name": "", "phone": "12345", "email": "not-an-email", "budget": -1, "colour": "red"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"name", "phone", "email", "budget", "colour"}
    assert rt.db.leads.count_documents({}) == 0
    assert [e["type"] for e in outbox_events(rt.db)] == ["crm.config.changed"]  # the channel's creation alone


def test_a_contact_method_is_required(client, channel):
    response = client.post("/v1/leads", headers=channel, json={"name": "Zhang", "company": "Acme"})
    assert response.status_code == 400
    assert response.json["errors"] == [{"field": "phone",
                                        "message": "at least one of phone, email or wechat_id is required"}]


def test_an_oversized_body_is_413(client, channel):
    response = client.post("/v1/leads", headers={**channel, "Content-Type": "application/json"},
                           data=b'{"name": "' + b"x" * 2_000_000 + b'"}')
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def test_too_many_custom_fields_are_refused(client, channel):
    custom = {f"k{i}": "v" for i in range(21)}
    response = client.post("/v1/leads", headers=channel, json={"name": "A", "email": "a@b.cn", "custom": custom})
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "custom"


def test_a_key_revoked_through_another_process_stops_working_within_the_cache_time(
        client, admin, new_channel, app_for, monkeypatch):
    monkeypatch.setattr(keys, "CACHE_SECONDS", 0.5)
    key, channel_id = new_channel()
    other = app_for(create_app, "lead-intake").test_client()  # another gunicorn worker of the service
    assert other.post("/v1/leads", json={"name": "Zhang", "phone": "13800138000"}, headers=key).status_code == 201
    assert client.post(f"/v1/channels/{channel_id}/revoke", headers=admin).status_code == 200
    lead = {"name": "Li", "phone": "13900139000"}
    assert client.post("/v1/leads", json=lead, headers=key).status_code == 401  # the revoking process: at once
    time.sleep(0.6)
    assert other.post("/v1/leads", json=lead, headers=key).status_code == 401


def test_a_key_used_before_its_rotation_is_refused_at_once_by_the_rotating_process(client, admin, new_channel):
    old, channel_id = new_channel()
    assert client.post("/v1/leads", json={"name": "Zhang", "phone": "13800138000"}, headers=old).status_code == 201
    client.post(f"/v1/channels/{channel_id}/rotate-key", headers=admin)
    assert client.post("/v1/leads", json={"name": "Li", "phone": "13900139000"}, headers=old).status_code == 401

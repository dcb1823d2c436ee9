"""Idempotency-Key on lead intake's creating writes: channels, keys, batches, imports, merges."""
from crm_common.testing.auth import signed_in
from crm_common.testing.events import of


def twice(client, url, headers, key="retry-1", **request):
    headers = {**headers, "Idempotency-Key": key}
    first = client.post(url, headers=headers, **request)
    retry = client.post(url, headers=headers, **request)
    assert first.status_code < 300, first.json
    assert (retry.status_code, retry.json) == (first.status_code, first.json)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    return first.json


def test_a_retried_channel_create_makes_one_channel_with_one_working_key(client, admin, rt):
    channel = twice(client, "/v1/channels", admin, json={"name": "fair"})
    assert rt.db.channels.count_documents({"name": "fair"}) == 1
    lead = client.post("/v1/leads", json={"name": "Zhang", "phone": "13800138000"},
                       headers={"X-API-Key": channel["api_key"]})
    assert lead.status_code == 201


def test_a_retried_key_rotation_hands_out_the_key_that_works(client, admin, new_channel):
    _, channel_id = new_channel()
    rotated = twice(client, f"/v1/channels/{channel_id}/rotate-key", admin)
    check = client.post("/v1/leads", json={"name": "Li", "phone": "13900139000"},
                        headers={"X-API-Key": rotated["api_key"]})
    assert check.status_code == 201  # the retry did not rotate again behind the client's back


def test_a_retried_batch_and_import_write_each_lead_once(client, channel, admin, new_channel, rt):
    rows = [{"name": "A", "phone": "13800138001"}, {"name": "B", "email": "b@b.cn"}]
    report = twice(client, "/v1/leads:batch", channel, json={"leads": rows})
    assert report["created"] == 2 and rt.db.leads.count_documents({}) == 2
    assert sum(lead["touchpoint_count"] for lead in rt.db.leads.find()) == 2
    _, channel_id = new_channel("fair")
    imported = twice(client, f"/v1/leads:import?channel_id={channel_id}", admin, key="import-1",
                     data=b"name,phone\nC,13800138002\n", content_type="text/csv")
    assert imported["created"] == 1 and rt.db.leads.count_documents({}) == 3
    other_channel = client.post(f"/v1/leads:import?channel_id={channel_id}x", data=b"name,phone\nC,13800138002\n",
                                content_type="text/csv", headers={**admin, "Idempotency-Key": "import-1"})
    assert other_channel.status_code == 422  # same key, another query: another request


def test_two_channels_with_the_same_key_do_not_collide(client, new_channel, rt):
    first, _ = new_channel("web")
    second, _ = new_channel("fair")
    for headers, phone in ((first, "13800138003"), (second, "13800138004")):
        response = client.post("/v1/leads", json={"name": "N", "phone": phone},
                               headers={**headers, "Idempotency-Key": "lead-1"})
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert rt.db.leads.count_documents({}) == 2


def test_two_users_with_the_same_key_do_not_collide(client, rt):
    for user in ("admin-a", "admin-b"):
        response = client.post("/v1/channels", json={"name": user},
                               headers={**signed_in(rt, user, "admin"), "Idempotency-Key": "same"})
        assert response.status_code == 201 and response.json["name"] == user
    assert rt.db.channels.count_documents({}) == 2


def test_every_write_post_documents_the_header(client):
    paths = client.get("/openapi.json").json["paths"]
    posts = {path: ops["post"] for path, ops in paths.items()
             if "post" in ops and path != "/v1/leads:check" and not path.startswith("/v1/dev/")}
    assert {"/v1/leads", "/v1/channels", "/v1/leads/{lead_id}/merge", "/v1/reviews/{review_id}/merge"} <= set(posts)
    for path, operation in posts.items():
        assert "Idempotency-Key" in [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"], path


def test_a_new_api_key_is_not_kept_readable_for_replays(client, admin, rt):
    channel = twice(client, "/v1/channels", admin, key="sealed-1", json={"name": "partner"})
    stored = rt.db.idempotency_keys.find_one({"_id": {"$regex": "sealed-1$"}})
    assert stored["state"] == "done" and channel["api_key"].encode() not in stored["payload"]["body"]


def test_a_retry_after_the_reply_was_lost_past_the_commit_gets_the_first_answer(client, channel, rt, monkeypatch):
    from pymongo.errors import AutoReconnect

    from lead_intake.intake import submissions as intake
    real_submit = intake.submit

    def reply_lost(*args):  # the lead commits, then the database restarts before the answer is stored
        real_submit(*args)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(intake, "submit", reply_lost)
    headers = {**channel, "Idempotency-Key": "lost-1"}
    body = {"name": "Wang", "phone": "13700137000", "company": "Lost Reply Co"}
    assert client.post("/v1/leads", json=body, headers=headers).status_code == 503
    monkeypatch.setattr(intake, "submit", real_submit)
    retry = client.post("/v1/leads", json=body, headers=headers)
    [lead] = list(rt.db.leads.find())
    assert retry.status_code == 201 and retry.json["id"] == lead["_id"]  # not "a duplicate of itself"
    assert retry.headers.get("Idempotent-Replayed") == "true" and lead["touchpoint_count"] == 1
    again = client.post("/v1/leads", json=body, headers=headers)
    assert (again.status_code, again.json) == (201, retry.json)


def test_a_retried_convert_whose_reply_was_lost_answers_200_not_409(client, channel, admin, rt, monkeypatch):
    from pymongo.errors import AutoReconnect

    from lead_intake.leads import routes as leads
    lead_id = client.post("/v1/leads", json={"name": "Zhao", "phone": "13600136000"}, headers=channel).json["id"]
    real_visible = leads.visible_lead
    lost = []

    def reply_lost(lead_id):  # the first read after the commit, for the answer: the connection drops there
        if not lost and rt.db.leads.find_one({"_id": lead_id})["status"] == "converted":
            lost.append(lead_id)
            raise AutoReconnect("connection closed")
        return real_visible(lead_id)
    monkeypatch.setattr(leads, "visible_lead", reply_lost)
    headers = {**admin, "Idempotency-Key": "convert-1"}
    assert client.post(f"/v1/leads/{lead_id}/convert", headers=headers).status_code == 503 and lost
    retry = client.post(f"/v1/leads/{lead_id}/convert", headers=headers)
    assert retry.status_code == 200 and retry.json["status"] == "converted", retry.json
    assert len(of(rt, "crm.lead.converted")) == 1


def commit_then_lose_the_reply(monkeypatch):
    """The request's transaction commits, then the connection drops before the answer is stored."""
    from pymongo.errors import AutoReconnect

    from crm_common.runtime import Runtime
    real = Runtime.transaction

    def lost(self, work):
        monkeypatch.setattr(Runtime, "transaction", real)
        real(self, work)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(Runtime, "transaction", lost)


def test_a_channel_whose_creation_reply_was_lost_is_created_once_and_its_key_answered(client, admin, rt, monkeypatch):
    headers = {**admin, "Idempotency-Key": "channel-1"}
    commit_then_lose_the_reply(monkeypatch)
    assert client.post("/v1/channels", json={"name": "Expo"}, headers=headers).status_code == 503
    retry = client.post("/v1/channels", json={"name": "Expo"}, headers=headers)
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    [made] = list(rt.db.channels.find({"name": "Expo"}))
    assert retry.json["id"] == made["_id"]
    # the key the client now holds is the one stored, and the idempotency store keeps it sealed only
    lead = client.post("/v1/leads", json={"name": "Qian", "phone": "13500135001"},
                       headers={"X-API-Key": retry.json["api_key"]})
    assert lead.status_code == 201, lead.json
    assert retry.json["api_key"] not in str(rt.db.idempotency_keys.find_one({"_id": {"$regex": "channel-1$"}}))


def test_a_rotation_whose_reply_was_lost_rotates_once_even_when_retried_a_minute_later(client, admin, rt,
                                                                                      monkeypatch):
    from datetime import timedelta
    channel = client.post("/v1/channels", json={"name": "Web form"}, headers=admin).json
    url, headers = f"/v1/channels/{channel['id']}/rotate-key", {**admin, "Idempotency-Key": "rotate-1"}
    commit_then_lose_the_reply(monkeypatch)
    assert client.post(url, headers=headers).status_code == 503
    stored = rt.db.channels.find_one({"_id": channel["id"]})["key_hash"]
    # as a process that died there would leave it: still "running", reserved over a minute ago
    rt.db.idempotency_keys.update_one({"_id": {"$regex": "rotate-1$"}}, {"$set": {
        "state": "running", "created_at": rt.clock.now() - timedelta(seconds=61)}})
    retry = client.post(url, headers=headers)
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    assert rt.db.channels.find_one({"_id": channel["id"]})["key_hash"] == stored  # not rotated again
    lead = client.post("/v1/leads", json={"name": "Sun", "phone": "13500135002"},
                       headers={"X-API-Key": retry.json["api_key"]})
    assert lead.status_code == 201, lead.json
    old = client.post("/v1/leads", json={"name": "Sun", "phone": "13500135003"},
                      headers={"X-API-Key": channel["api_key"]})
    assert old.status_code == 401


def test_a_claim_whose_reply_was_lost_answers_the_claimed_lead(client, channel, rt, token_for, monkeypatch):
    lead_id = client.post("/v1/leads", json={"name": "Zhou", "phone": "13600136001"}, headers=channel).json["id"]
    headers = {**token_for("r2", "rep", ["d1"]), "Idempotency-Key": "claim-1"}
    commit_then_lose_the_reply(monkeypatch)
    assert client.post(f"/v1/leads/{lead_id}/claim", headers=headers).status_code == 503
    retry = client.post(f"/v1/leads/{lead_id}/claim", headers=headers)
    assert retry.status_code == 200 and retry.json["owner_id"] == "r2", retry.json  # not 409 answer_lost
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert len(of(rt, "crm.lead.assigned", lead_id)) == 1


def test_a_batch_whose_reply_was_lost_reports_the_leads_it_made(client, channel, rt, monkeypatch):
    body = {"leads": [{"name": "Feng", "phone": "13600136011"}, {"name": "Chen", "phone": "13600136012"},
                      {"name": "no phone or email"}]}
    headers = {**channel, "Idempotency-Key": "batch-1"}
    commit_then_lose_the_reply(monkeypatch)
    assert client.post("/v1/leads:batch", json=body, headers=headers).status_code == 503
    retry = client.post("/v1/leads:batch", json=body, headers=headers)
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    assert (retry.json["created"], retry.json["duplicates"]) == (2, 0)  # not duplicates of themselves
    assert sorted(r["id"] for r in retry.json["results"] if "id" in r) == sorted(
        lead["_id"] for lead in rt.db.leads.find())


def test_a_revocation_whose_reply_was_lost_answers_the_revoked_channel(client, admin, rt, monkeypatch):
    channel = client.post("/v1/channels", json={"name": "Old form"}, headers=admin).json
    url, headers = f"/v1/channels/{channel['id']}/revoke", {**admin, "Idempotency-Key": "revoke-1"}
    commit_then_lose_the_reply(monkeypatch)
    assert client.post(url, headers=headers).status_code == 503
    retry = client.post(url, headers=headers)
    assert retry.status_code == 200 and retry.json["active"] is False, retry.json
    assert retry.headers.get("Idempotent-Replayed") == "true"

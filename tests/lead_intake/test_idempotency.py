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


def test_a_channel_whose_creation_reply_was_lost_is_not_created_twice(client, admin, rt, monkeypatch):
    from pymongo.errors import AutoReconnect

    from crm_common.runtime import Runtime
    real_insert = Runtime.insert

    def reply_lost(self, collection, document):  # the channel commits, then the connection drops
        monkeypatch.setattr(Runtime, "insert", real_insert)
        real_insert(self, collection, document)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(Runtime, "insert", reply_lost)
    headers = {**admin, "Idempotency-Key": "channel-1"}
    assert client.post("/v1/channels", json={"name": "Expo"}, headers=headers).status_code == 503
    retry = client.post("/v1/channels", json={"name": "Expo"}, headers=headers)
    assert (retry.status_code, retry.json["reason"]) == (409, "answer_lost")
    assert rt.db.channels.count_documents({"name": "Expo"}) == 1

"""A retried robot creation whose first reply was lost past the commit gets the first answer."""
from pymongo.errors import AutoReconnect

from crm_common.runtime import Runtime


def test_a_robot_whose_creation_reply_was_lost_is_made_once_and_named_on_retry(client, token_for, rt, monkeypatch):
    real = Runtime.transaction

    def lost(self, work):  # the robot commits, then the connection drops before the answer is stored
        monkeypatch.setattr(Runtime, "transaction", real)
        real(self, work)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(Runtime, "transaction", lost)
    headers = {**token_for("u-admin", "admin"), "Idempotency-Key": "robot-1"}
    body = {"name": "sales", "kind": "dingtalk", "url": "https://8.8.8.8/robot?access_token=SECRET-TOKEN",
            "secret": "SIGNING-SECRET"}
    assert client.post("/v1/robots", json=body, headers=headers).status_code == 503
    retry = client.post("/v1/robots", json=body, headers=headers)
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    [made] = list(rt.db.robots.find())
    assert retry.json["id"] == made["_id"] and "SECRET-TOKEN" not in retry.json["url"]
    kept = str(rt.db.idempotency_keys.find_one({"_id": {"$regex": "robot-1$"}}))
    assert "SECRET-TOKEN" not in kept and "SIGNING-SECRET" not in kept  # only sealed values are kept for replays

"""Configuration leaves a trace (issue 21, point 10): a pool created or changed is kept in the pool
service's audit log with who changed it, before and after, and announced as crm.config.changed."""
from crm_common.testing.events import data_of

from .conftest import add_user


def test_a_pool_created_and_changed_is_kept_with_its_actor(client, rt):
    admin = add_user(rt, "boss", "admin")
    made = client.post("/v1/pools", json={"name": "East", "rules": {"no_followup_days": 20}}, headers=admin)
    assert made.status_code == 201, made.json
    changed = client.patch(f"/v1/pools/{made.json['id']}", json={"rules": {"no_followup_days": 10}},
                           headers={**admin, "If-Match": made.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    created, patched = client.get("/v1/audit?kind=pool", headers=admin).json["items"]
    assert (created["actor"], created["before"], created["after"]["name"]) == ("boss", None, "East")
    assert patched["before"]["rules"]["no_followup_days"] == 20 and patched["after"]["rules"]["no_followup_days"] == 10
    # the default pool made at the first start is nobody's change
    assert [(d["subject"], d["actor"]) for d in data_of(rt, "crm.config.changed")] == [(made.json["id"], "boss")] * 2


def test_a_refused_pool_change_leaves_no_trace(client, rt):
    admin, rep = add_user(rt, "boss", "admin"), add_user(rt, "rep-1")
    etag = client.get("/v1/pools/default", headers=admin).headers["ETag"]
    refused = client.patch("/v1/pools/default", json={"open_to_all": False}, headers={**rep, "If-Match": etag})
    assert refused.status_code == 403
    assert client.get("/v1/audit", headers=admin).json["items"] == [] and data_of(rt, "crm.config.changed") == []
    assert client.get("/v1/audit", headers=rep).status_code == 403

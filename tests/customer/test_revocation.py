"""Issue 12: deactivating, demoting or moving a user ends their sessions at once in the service
that owns users; crm.user.* events carry the token version the other services check."""
from crm_common.testing.events import data_of

from .conftest import login


def test_a_deactivated_user_is_refused_at_once_even_after_reactivation(org, rt, client):
    bob = login(client, "bob", "bob-secret")
    assert client.get("/v1/customers", headers=bob).status_code == 200
    assert client.post(f"/v1/users/{org.id('bob')}/deactivate", headers=org.admin).status_code == 200
    refused = client.get("/v1/customers", headers=bob)
    assert refused.status_code == 401 and "deactivated" in refused.json["detail"]
    assert client.post(f"/v1/users/{org.id('bob')}/activate", headers=org.admin).status_code == 200
    # back at work, but the token from before the deactivation stays dead; a new login works
    assert client.get("/v1/customers", headers=bob).status_code == 401
    assert client.get("/v1/customers", headers=login(client, "bob", "bob-secret")).status_code == 200
    bob_events = data_of(rt, "crm.user.created", org.id("bob")) + data_of(rt, "crm.user.updated", org.id("bob"))
    versions = [e["token_version"] for e in bob_events]
    assert versions == [0, 1, 2]


def test_a_demoted_or_moved_user_signs_in_again(org, client):
    manager = login(client, "east_manager", "east_manager-secret")
    changed = client.patch(f"/v1/users/{org.id('east_manager')}", json={"role": "rep"}, headers=org.admin)
    assert changed.status_code == 200
    refused = client.get("/v1/customers", headers=manager)
    assert refused.status_code == 401 and "sign in again" in refused.json["detail"]

    alice = login(client, "alice", "alice-secret")
    moved = client.patch(f"/v1/users/{org.id('alice')}", json={"department_id": org.west["id"]}, headers=org.admin)
    assert moved.status_code == 200
    assert client.get("/v1/customers", headers=alice).status_code == 401
    # a change that grants or takes nothing (the holding limit) keeps the session
    carol = login(client, "carol", "carol-secret")
    client.patch(f"/v1/users/{org.id('carol')}", json={"holding_limit": 5}, headers=org.admin)
    assert client.get("/v1/customers", headers=carol).status_code == 200


def test_the_last_admin_cannot_be_demoted(org, client, rt):
    admin_id = rt.db.users.find_one({"username": "admin"})["_id"]
    refused = client.patch(f"/v1/users/{admin_id}", json={"role": "manager"}, headers=org.admin)
    assert refused.status_code == 409 and "demoted" in refused.json["detail"]
    org.user("second_admin", "admin", None)
    assert client.patch(f"/v1/users/{admin_id}", json={"role": "manager"}, headers=org.admin).status_code == 200

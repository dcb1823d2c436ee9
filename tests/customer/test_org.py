"""The organisation: departments, users, supervisors, teams, login, and what crm.org tells other services."""
from crm_common.events import validate
from crm_common.testing.events import data_of, outbox_events

from .conftest import login


def test_departments_form_a_tree_with_full_paths(org, rt):
    assert org.east["path"] == [org.sales["id"], org.east["id"]]
    created = data_of(rt, "crm.department.created", org.east["id"])[0]
    assert created == {"department_id": org.east["id"], "name": "East", "parent_id": org.sales["id"],
                       "path": [org.sales["id"], org.east["id"]], "active": True}
    renamed = org.client.patch(f"/v1/departments/{org.east['id']}", json={"name": "East China"}, headers=org.admin)
    assert renamed.status_code == 200
    assert data_of(rt, "crm.department.updated", org.east["id"])[0]["name"] == "East China"
    orphan = org.client.post("/v1/departments", json={"name": "x", "parent_id": "nope"}, headers=org.admin)
    assert orphan.status_code == 400 and orphan.json["errors"][0]["field"] == "parent_id"
    busy = org.client.patch(f"/v1/departments/{org.east['id']}", json={"active": False}, headers=org.admin)
    assert busy.status_code == 409  # alice and bob are still in it


def test_a_user_gets_the_department_path_a_supervisor_and_a_hashed_password(org, rt, client):
    alice = org.users["alice"]
    assert alice["department_path"] == [org.sales["id"], org.east["id"]]
    assert alice["supervisor_id"] == org.id("east_manager") and alice["holding_limit"] == 200
    stored = rt.db.users.find_one({"_id": alice["id"]})
    assert stored["password_hash"].startswith("scrypt:") and "alice-secret" not in stored["password_hash"]
    event = data_of(rt, "crm.user.created", alice["id"])[0]
    assert {k: event[k] for k in ("username", "role", "department_id", "department_path", "supervisor_id", "active",
                                  "team_ids", "holding_limit")} == {
        "username": "alice", "role": "rep", "department_id": org.east["id"],
        "department_path": alice["department_path"], "supervisor_id": org.id("east_manager"), "active": True,
        "team_ids": [], "holding_limit": 200}
    token = login(client, "alice", "alice-secret")
    assert client.get(f"/v1/users/{alice['id']}", headers=token).json["username"] == "alice"
    assert client.post("/v1/auth/token", json={"username": "alice", "password": "wrong"}).status_code == 401


def test_user_input_is_checked(org, client):
    taken = client.post("/v1/users", headers=org.admin, json={"username": "alice", "password": "longenough",
                                                               "role": "rep"})
    assert taken.status_code == 409 and taken.json["errors"][0]["field"] == "username"
    weak = client.post("/v1/users", headers=org.admin, json={"username": "dan", "password": "short", "role": "rep"})
    assert weak.status_code == 400 and weak.json["errors"][0]["field"] == "password"
    cycle = client.patch(f"/v1/users/{org.id('east_manager')}", json={"supervisor_id": org.id("alice")},
                         headers=org.admin)
    assert cycle.status_code == 400 and cycle.json["errors"][0]["field"] == "supervisor_id"
    by_rep = client.post("/v1/users", headers=org.headers["alice"],
                         json={"username": "eve", "password": "longenough", "role": "admin"})
    assert by_rep.status_code == 403


def test_a_deactivated_user_cannot_log_in_and_other_services_are_told(org, rt, client):
    login(client, "bob", "bob-secret")
    assert client.post(f"/v1/users/{org.id('bob')}/deactivate", headers=org.admin).json["active"] is False
    assert client.post("/v1/auth/token", json={"username": "bob", "password": "bob-secret"}).status_code == 401
    assert data_of(rt, "crm.user.updated", org.id("bob"))[-1]["active"] is False
    assert client.post(f"/v1/users/{org.id('bob')}/activate", headers=org.admin).json["active"] is True
    login(client, "bob", "bob-secret")


def test_moving_a_rep_moves_their_customers_into_the_new_department(org, rt, client):
    customer = org.customer("alice")
    moved = client.patch(f"/v1/users/{org.id('alice')}", json={"department_id": org.west["id"]}, headers=org.admin)
    assert moved.json["department_path"] == [org.sales["id"], org.west["id"]]
    assert rt.db.customers.find_one({"_id": customer["id"]})["department_path"] == moved.json["department_path"]
    assert data_of(rt, "crm.customer.updated", customer["id"])[-1]["changed_fields"] == ["department_path"]


def test_teams_carry_members_with_weights_and_members_learn_their_teams(org, rt, client):
    body = {"name": "Inbound", "department_id": org.east["id"],
            "members": [{"user_id": org.id("alice"), "weight": 2}, {"user_id": org.id("bob")}]}
    team = client.post("/v1/teams", json=body, headers=org.admin)
    assert team.status_code == 201, team.json
    created = data_of(rt, "crm.team.created", team.json["id"])[0]
    assert created["members"] == [{"user_id": org.id("alice"), "weight": 2}, {"user_id": org.id("bob"), "weight": 1}]
    assert created["active"] is True and created["department_id"] == org.east["id"]
    assert data_of(rt, "crm.user.updated", org.id("alice"))[-1]["team_ids"] == [team.json["id"]]
    client.patch(f"/v1/teams/{team.json['id']}", json={"members": [{"user_id": org.id("alice"), "weight": 3}],
                                                       "active": False}, headers=org.admin)
    updated = data_of(rt, "crm.team.updated", team.json["id"])[-1]
    assert updated["members"] == [{"user_id": org.id("alice"), "weight": 3}] and updated["active"] is False
    assert data_of(rt, "crm.user.updated", org.id("bob"))[-1]["team_ids"] == []
    zero = client.post("/v1/teams", headers=org.admin, json={"name": "x", "members": [
        {"user_id": org.id("bob"), "weight": 0}]})
    assert zero.status_code == 400 and zero.json["errors"][0]["field"] == "members.0.weight"


def test_a_rep_lists_only_the_users_departments_and_teams_of_their_own_subtree(org, client):
    """Issue 21: alice (East) sees East and below it; a manager and an admin see the whole directory."""
    north = org.department("East North", org.east["id"])
    org.user("eve", "rep", north["id"])
    east_team = client.post("/v1/teams", headers=org.admin, json={"name": "East inbound", "department_id": org.east["id"]})
    west_team = client.post("/v1/teams", headers=org.admin, json={"name": "West inbound", "department_id": org.west["id"]})
    assert east_team.status_code == west_team.status_code == 201

    def names(path, as_user, key="username", **query):
        headers = org.admin if as_user == "admin" else org.headers[as_user]
        response = client.get(path, headers=headers, query_string=query)
        assert response.status_code == 200, response.json
        return sorted(item[key] for item in response.json["items"])
    assert names("/v1/users", "alice") == ["alice", "bob", "east_manager", "eve"]
    assert names("/v1/users", "alice", department_id=org.west["id"]) == []  # naming West does not widen it
    assert names("/v1/departments", "alice", "name") == ["East", "East North"]
    assert names("/v1/teams", "alice", "name") == ["East inbound"]
    assert client.get(f"/v1/users/{org.id('carol')}", headers=org.headers["alice"]).status_code == 404
    assert client.get(f"/v1/users/{org.id('bob')}", headers=org.headers["alice"]).status_code == 200
    everyone = ["admin", "alice", "bob", "boss", "carol", "east_manager", "eve"]
    for seer in ("east_manager", "admin"):  # as today
        assert names("/v1/users", seer) == everyone
        assert names("/v1/departments", seer, "name") == ["East", "East North", "Sales", "West"]
        assert names("/v1/teams", seer, "name") == ["East inbound", "West inbound"]


def test_every_org_event_matches_its_contract(org, rt):
    events = [e for e in outbox_events(rt.db) if e["type"].split(".")[1] in ("user", "department", "team")]
    assert len(events) >= 9
    for event in events:
        validate(event)
        assert event["subject"] and event["type"].startswith("crm.")

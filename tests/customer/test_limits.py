"""Issue 12, point 6: the organisation API's ids and team sizes have limits of their own, answered
with a 400 naming the field before any lookup."""
import dataclasses

from crm_common.clock import FixedClock
from customer.imports.csv_io import BULK_PER_USER_PER_MINUTE
from customer.org.schemas import MAX_TEAM_MEMBERS


def test_a_team_has_at_most_the_member_limit(org, client, rt):
    # users written straight into the store: creating 201 through the API would hash 201 passwords
    rt.db.users.insert_many([{"_id": f"u{n}", "username": f"u{n}", "role": "rep", "active": True}
                             for n in range(MAX_TEAM_MEMBERS + 1)])
    members = [{"user_id": f"u{n}"} for n in range(MAX_TEAM_MEMBERS + 1)]
    refused = client.post("/v1/teams", json={"name": "Everyone", "members": members}, headers=org.admin)
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json["errors"]] == ["members"]
    assert client.post("/v1/teams", json={"name": "Most", "members": members[:-1]}, headers=org.admin).status_code == 201


def test_an_id_longer_than_any_id_is_refused_as_too_long(org, client):
    refused = client.patch(f"/v1/users/{org.id('alice')}", json={"department_id": "d" * 65}, headers=org.admin)
    assert refused.status_code == 400
    assert refused.json["errors"] == [{"field": "department_id", "message": "Length must be between 1 and 64."}]


def test_exports_are_limited_per_user(org, client, rt):
    rt.clock = FixedClock(rt.clock.now())  # one rate window for the whole test
    answers = [client.get("/v1/customers:export", headers=org.headers["alice"]).status_code
               for _ in range(BULK_PER_USER_PER_MINUTE + 1)]
    assert answers == [200] * BULK_PER_USER_PER_MINUTE + [429]
    limited = client.get("/v1/customers:export", headers=org.headers["alice"])
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get("/v1/customers:export", headers=org.headers["bob"]).status_code == 200  # bob has his own


def test_a_users_writes_are_limited_and_their_reads_are_not(org, client, rt, monkeypatch):
    rt.settings = dataclasses.replace(rt.settings, user_writes_per_minute=3)
    rt.clock = FixedClock(rt.clock.now())  # one rate window for the whole test
    write = lambda who: client.post("/v1/customers", json={"name": f"W {who}"}, headers=org.headers[who])  # noqa: E731
    assert [write("alice").status_code for _ in range(4)] == [201, 201, 201, 429]
    limited = write("alice")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get("/v1/customers", headers=org.headers["alice"]).status_code == 200
    assert write("bob").status_code == 201  # bob has his own budget

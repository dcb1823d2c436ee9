"""Who lists and reads which pools: an admin every pool; anyone else the pools they may use (a member or an
admin of it, a pool open to all) and the pools that take their department's reclaimed customers, a
manager's those of the departments below theirs too. Any other pool is answered as one that does not exist."""
import pytest

from .conftest import add_user


@pytest.fixture
def people(rt):
    return {"admin": add_user(rt, "the-admin", "admin", ("sales",)),
            "alice": add_user(rt, "alice", "rep", ("sales", "east")),
            "bob": add_user(rt, "bob", "rep", ("sales", "west")),
            "boss": add_user(rt, "boss", "manager", ("sales",)),
            "fred": add_user(rt, "fred", "rep", ("finance",))}


@pytest.fixture
def named(client, people):
    """The default pool (open to all) and four more: name -> id."""
    bodies = {"east": {"source_department_ids": ["east"]},        # takes alice's department's customers
              "vip": {"member_user_ids": ["alice"]},
              "finance": {"member_department_ids": ["finance"], "admin_user_ids": ["bob"]},
              "closed": {}}
    ids = {"default": "default"}
    for name, body in bodies.items():
        created = client.post("/v1/pools", json={"name": name, **body}, headers=people["admin"])
        assert created.status_code == 201, created.json
        ids[name] = created.json["id"]
    return ids


def listed(client, headers, limit=200):
    """Every pool the caller is listed, page after page."""
    names, cursor = [], None
    while True:
        answer = client.get("/v1/pools", query_string={"limit": limit, **({"cursor": cursor} if cursor else {})},
                            headers=headers)
        assert answer.status_code == 200, answer.json
        names += [pool["name"] for pool in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return sorted(names)


@pytest.mark.parametrize("who,sees", [
    ("alice", ["east", "vip", "公海"]),           # her department's pool, a member, the open one
    ("bob", ["finance", "公海"]),                 # the pool he administers, the open one
    ("boss", ["east", "公海"]),                   # the pool of a department below his
    ("fred", ["finance", "公海"]),                # a member through his department
    ("admin", ["closed", "east", "finance", "vip", "公海"]),
])
def test_each_user_lists_only_the_pools_they_may_use(client, people, named, who, sees):
    assert listed(client, people[who]) == sees
    assert listed(client, people[who], limit=1) == sees  # a page at a time, the same pools


def test_a_pool_one_may_not_use_reads_as_not_found(client, people, named):
    for who, pool in (("alice", "closed"), ("bob", "vip"), ("fred", "east"), ("boss", "finance")):
        answer = client.get(f"/v1/pools/{named[pool]}", headers=people[who])
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json", (who, pool)
    for who, pool in (("alice", "east"), ("alice", "vip"), ("bob", "finance"), ("boss", "east"), ("admin", "closed")):
        answer = client.get(f"/v1/pools/{named[pool]}", headers=people[who])
        assert answer.status_code == 200 and answer.json["name"] == pool and answer.headers["ETag"], (who, pool)
    assert client.get("/v1/pools/no-such-pool", headers=people["alice"]).status_code == 404

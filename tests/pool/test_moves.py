"""Movements through the API, applied by the customer service, recorded and listable."""
from datetime import datetime, timedelta

from crm_common.testing.events import of
from pool.reclaim import job


def pooled(world, owner="alice"):
    customer = world.customer(owner)
    world.settle()
    world.at_day(8)
    job.reclaim_due(world.pool_rt)
    world.settle()
    return customer["id"]


def test_a_claim_is_answered_at_once_and_the_customer_service_shows_the_new_owner(world):
    customer_id = pooled(world)
    response = world.pool_client.post(f"/v1/pools/default/customers/{customer_id}/claim", headers=world.headers["bob"])
    assert response.status_code == 200, response.json
    assert set(response.json) == {"customer_id", "owner_id", "first_contact_due_at"}
    world.settle()
    shown = world.customer_client.get(f"/v1/customers/{customer_id}", headers=world.headers["bob"]).json
    assert (shown["owner_id"], shown["in_pool"], shown["pool_id"]) == (world.id("bob"), False, None)
    entry = world.entry(customer_id)
    assert (entry["status"], entry["owner_id"], entry["pending"]) == ("owned", world.id("bob"), None)
    [claimed] = of(world.pool_rt, "crm.pool.customer_claimed")
    assert (claimed["data"]["owner_id"], claimed["data"]["kind"]) == (world.id("bob"), "claim")
    published, answered = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (
        claimed["data"]["first_contact_due_at"], response.json["first_contact_due_at"]))
    assert abs(published - answered) < timedelta(milliseconds=1)  # MongoDB keeps milliseconds


def test_a_claim_publishes_the_first_contact_deadline_of_its_pools_rules(world):
    """Notify reminds the claimant by this deadline: a pool that allows 24 hours is not told 48."""
    customer_id = pooled(world)
    etag = world.pool_client.get("/v1/pools/default", headers=world.admin).headers["ETag"]
    changed = world.pool_client.patch("/v1/pools/default", json={"rules": {"first_contact_hours": 24}},
                                      headers={**world.admin, "If-Match": etag})
    assert changed.status_code == 200, changed.json
    claim = world.pool_client.post(f"/v1/pools/default/customers/{customer_id}/claim", headers=world.headers["bob"])
    assert claim.status_code == 200, claim.json
    world.settle()
    [claimed] = of(world.pool_rt, "crm.pool.customer_claimed")
    due, at = (datetime.fromisoformat(claimed["data"][k]) for k in ("first_contact_due_at", "claimed_at"))
    assert due - at == timedelta(hours=24)


def test_the_owner_returns_a_customer_with_a_reason_and_a_manager_assigns_it(world):
    customer = world.customer("alice")
    world.settle()
    response = world.pool_client.post(f"/v1/customers/{customer['id']}/return", headers=world.headers["alice"],
                                      json={"reason": "no budget this year"})
    assert response.status_code == 200, response.json
    world.settle()
    shown = world.customer_client.get(f"/v1/customers/{customer['id']}", headers=world.customer_admin).json
    assert (shown["owner_id"], shown["in_pool"], shown["pool_id"]) == (None, True, "default")
    not_owner = world.pool_client.post(f"/v1/customers/{customer['id']}/return", headers=world.headers["bob"],
                                       json={"reason": "mine now?"})
    assert not_owner.status_code == 404
    by_rep = world.pool_client.post(f"/v1/pools/default/customers/{customer['id']}/assign",
                                    headers=world.headers["bob"], json={"user_id": world.id("carol")})
    assert by_rep.status_code == 403
    assigned = world.pool_client.post(f"/v1/pools/default/customers/{customer['id']}/assign",
                                      headers=world.headers["boss"],
                                      json={"user_id": world.id("carol"), "reason": "she knows the buyer"})
    assert assigned.status_code == 200, assigned.json
    world.settle()
    assert world.stored_customer(customer["id"])["owner_id"] == world.id("carol")
    moves = world.pool_client.get("/v1/movements", query_string={"customer_id": customer["id"]},
                                  headers=world.admin).json["items"]
    assert [(m["kind"], m["state"], m["actor"], m["reason"]) for m in moves] == [
        ("return", "done", world.id("alice"), "no budget this year"),
        ("assign", "done", world.id("boss"), "she knows the buyer")]
    mine = world.pool_client.get("/v1/movements", query_string={"user_id": world.id("carol"), "kind": "assign"},
                                 headers=world.headers["carol"]).json["items"]
    assert [m["customer_id"] for m in mine] == [customer["id"]]
    alices = world.pool_client.get("/v1/movements", headers=world.headers["alice"]).json["items"]
    assert [m["kind"] for m in alices] == ["return"]  # a rep sees the moves that concern them
    world.user("mona", "manager", department=world.finance)
    for manager, seen in (("boss", ["return", "assign"]), ("mona", [])):
        listed = world.pool_client.get("/v1/movements", headers=world.headers[manager]).json["items"]
        assert [m["kind"] for m in listed] == seen  # a manager sees their departments' moves


def test_pools_are_created_changed_with_if_match_and_listed(world):
    created = world.pool_client.post("/v1/pools", headers=world.admin, json={
        "name": "VIP", "member_user_ids": [world.id("bob")], "admin_user_ids": [world.id("boss")],
        "rules": {"no_followup_days": 5, "warn_days_before": [3, 1]}})
    assert created.status_code == 201, created.json
    pool = created.json
    assert pool["rules"]["no_followup_days"] == 5 and pool["rules"]["daily_claim_limit"] == 3
    by_rep = world.pool_client.post("/v1/pools", headers=world.headers["bob"], json={"name": "Mine"})
    assert by_rep.status_code == 403
    bad = world.pool_client.post("/v1/pools", headers=world.admin, json={"name": "X", "rules": {"levels": ["Z"]}})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"].startswith("rules.levels")
    url = f"/v1/pools/{pool['id']}"
    no_match = world.pool_client.patch(url, headers=world.headers["boss"], json={"name": "VIP 2"})
    assert no_match.status_code == 428
    etag = world.pool_client.get(url, headers=world.admin).headers["ETag"]
    changed = world.pool_client.patch(url, headers={**world.headers["boss"], "If-Match": etag},
                                      json={"rules": {"levels": ["B", "C"]}})
    assert changed.status_code == 200 and changed.json["rules"]["levels"] == ["B", "C"]
    assert changed.json["rules"]["no_followup_days"] == 5
    stale = world.pool_client.patch(url, headers={**world.admin, "If-Match": etag}, json={"name": "again"})
    assert stale.status_code == 412
    # subscribers learn each pool as it now is (DOMAIN §6)
    announced = of(world.pool_rt, "crm.pool.pool_changed", pool["id"])
    assert [(e["version"], e["data"]["name"], e["data"]["rules"]["levels"]) for e in announced] == [
        (1, "VIP", ["A", "B", "C"]), (2, "VIP", ["B", "C"])]
    names = lambda who: sorted(p["name"] for p in world.pool_client.get(  # noqa: E731
        "/v1/pools", headers=world.headers[who]).json["items"])
    assert (names("bob"), names("alice")) == (["VIP", "公海"], ["公海"])  # a rep lists the pools they may use


def finance_pool(world) -> dict:
    """A pool for the Finance department's customers and members, with fiona a Finance rep."""
    world.user("fiona", department=world.finance)
    created = world.pool_client.post("/v1/pools", headers=world.admin, json={
        "name": "金融公海", "source_department_ids": [world.finance["id"]],
        "member_department_ids": [world.finance["id"]]})
    world.settle()
    return created


def test_a_departments_customers_go_to_the_pool_that_names_it(world):
    created = finance_pool(world)
    customer_id = pooled(world, "fiona")
    assert world.entry(customer_id)["pool_id"] == created.json["id"]
    assert world.stored_customer(customer_id)["pool_id"] == created.json["id"]
    listed = world.pool_client.get(f"/v1/pools/{created.json['id']}/customers", headers=world.headers["fiona"])
    assert [c["customer_id"] for c in listed.json["items"]] == [customer_id]


def test_a_new_pool_takes_over_its_departments_customers_already_held(world):
    world.user("fiona", department=world.finance)
    world.settle()
    held, sales = world.customer("fiona")["id"], world.customer("alice")["id"]
    world.settle()
    created = world.pool_client.post("/v1/pools", headers=world.admin, json={
        "name": "金融公海", "source_department_ids": [world.finance["id"]],
        "member_department_ids": [world.finance["id"]], "rules": {"no_followup_days": 3}})
    assert created.status_code == 201, created.json
    assert (world.entry(held)["pool_id"], world.entry(sales)["pool_id"]) == (created.json["id"], "default")
    world.at_day(4)  # the new pool's 3 days, not the default's 7
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 1
    world.settle()
    assert world.stored_customer(held)["pool_id"] == created.json["id"]
    # a department a pool stops naming goes back to the default pool's rules
    url = f"/v1/pools/{created.json['id']}"
    etag = world.pool_client.get(url, headers=world.admin).headers["ETag"]
    world.user("fred", department=world.finance)
    world.settle()
    kept = world.customer("fred")["id"]
    world.settle()
    assert world.entry(kept)["pool_id"] == created.json["id"]
    assert world.pool_client.patch(url, headers={**world.admin, "If-Match": etag},
                                   json={"source_department_ids": []}).status_code == 200
    assert world.entry(kept)["pool_id"] == "default"


def test_a_pools_waiting_customers_are_shown_to_its_members_only(world):
    created = finance_pool(world)
    in_finance, in_default = world.customer("fiona")["id"], world.customer("alice")["id"]
    world.settle()
    world.at_day(8)
    job.reclaim_due(world.pool_rt)
    world.settle()

    def waiting(user):
        headers = world.admin if user == "admin" else world.headers[user]
        listed = world.pool_client.get("/v1/pool-entries", query_string={"status": "in_pool"}, headers=headers)
        return sorted(e["customer_id"] for e in listed.json["items"])
    assert waiting("fiona") == sorted([in_finance, in_default])  # a member of both
    assert waiting("bob") == [in_default]  # the Finance pool is not his
    assert waiting("admin") == sorted([in_finance, in_default])
    everything = world.pool_client.get("/v1/pool-entries", headers=world.headers["bob"]).json["items"]
    assert in_finance not in [e["customer_id"] for e in everything]
    assert world.entry(in_finance)["pool_id"] == created.json["id"]


def test_a_manager_assigns_only_to_users_of_their_own_department_or_below(world):
    world.user("fiona", department=world.finance)
    world.user("mona", "manager", department=world.finance)
    world.settle()
    customer_id = pooled(world, "alice")
    url = f"/v1/pools/default/customers/{customer_id}/assign"
    elsewhere = world.pool_client.post(url, headers=world.headers["mona"], json={"user_id": world.id("carol")})
    assert elsewhere.status_code == 403  # carol is in Sales, above mona's Finance
    assert world.entry(customer_id)["status"] == "in_pool"
    below = world.pool_client.post(url, headers=world.headers["boss"], json={"user_id": world.id("fiona")})
    assert below.status_code == 200, below.json  # boss manages Sales, and Finance is below it


def test_the_api_contract_is_documented(world):
    paths = world.pool_client.get("/openapi.json").json["paths"]
    for path in ("/v1/pools", "/v1/pools/{pool_id}", "/v1/pools/{pool_id}/rules:preview",
                 "/v1/pools/{pool_id}/customers", "/v1/pools/{pool_id}/customers/{customer_id}/claim",
                 "/v1/pools/{pool_id}/customers/{customer_id}/assign",
                 "/v1/pools/{pool_id}/customers/{customer_id}/transfer", "/v1/customers/{customer_id}/return",
                 "/v1/movements", "/v1/pool-entries"):
        assert path in paths, path

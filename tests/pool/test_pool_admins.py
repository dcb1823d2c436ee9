"""A pool's admins (issue 21): they run its rules within bounds, but only an admin changes whom it holds,
who runs it and whose customers it takes; a rule preview shows them only their own data scope."""
from crm_common.testing.events import of
from pool.reclaim import job

from .conftest import add_customer, add_user


def test_a_rep_made_pool_admin_cannot_take_over_another_departments_customers(world):
    """The reproduction: fiona, a Finance rep and admin of the Finance pool, names Sales as a source and
    rules that reclaim in minutes. She is refused, naming both fields, and nothing moves."""
    world.user("fiona", department=world.finance)
    created = world.pool_client.post("/v1/pools", headers=world.admin, json={
        "name": "金融公海", "source_department_ids": [world.finance["id"]],
        "member_department_ids": [world.finance["id"]], "admin_user_ids": [world.id("fiona")]})
    assert created.status_code == 201, created.json
    world.settle()
    theirs = world.customer("alice")["id"]  # a Sales customer, in the default pool's care
    world.settle()
    url = f"/v1/pools/{created.json['id']}"
    etag = world.pool_client.get(url, headers=world.headers["fiona"]).headers["ETag"]
    response = world.pool_client.patch(url, headers={**world.headers["fiona"], "If-Match": etag}, json={
        "source_department_ids": [world.sales["id"]], "rules": {"no_followup_days": 0.01}})
    assert response.status_code == 403, response.json
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == ["source_department_ids", "rules.no_followup_days"]
    pool = world.pool_client.get(url, headers=world.admin).json
    assert (pool["version"], pool["source_department_ids"], pool["rules"]["no_followup_days"]) == (
        1, [world.finance["id"]], 7)
    assert world.entry(theirs)["pool_id"] == "default"
    assert [e["version"] for e in of(world.pool_rt, "crm.pool.pool_changed", created.json["id"])] == [1]
    world.at_day(1)
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 0
    world.settle()
    assert world.stored_customer(theirs)["owner_id"] == world.id("alice")

    # what she may do: her pool's rules, a day at least, and its name
    allowed = world.pool_client.patch(url, headers={**world.headers["fiona"], "If-Match": etag}, json={
        "name": "金融", "rules": {"no_followup_days": 1, "no_deal_days": 10}})
    assert allowed.status_code == 200, allowed.json
    assert (allowed.json["rules"]["no_followup_days"], allowed.json["rules"]["no_deal_days"]) == (1, 10)
    for field, value in (("admin_user_ids", [world.id("fiona"), world.id("bob")]),
                         ("member_user_ids", [world.id("bob")]), ("open_to_all", True)):
        refused = world.pool_client.patch(url, headers={**world.headers["fiona"], "If-Match": allowed.headers["ETag"]},
                                          json={field: value})
        assert refused.status_code == 403 and refused.json["errors"][0]["field"] == field


def test_a_pool_admins_preview_shows_only_the_customers_in_their_own_scope(rt, client):
    admin = add_user(rt, "boss", "admin")
    pool_admin = add_user(rt, "rep-1")
    created = client.post("/v1/pools", headers=admin, json={
        "name": "Sales pool", "source_department_ids": ["sales"], "admin_user_ids": ["rep-1"]})
    assert created.status_code == 201, created.json
    add_customer(rt, "MINE", "rep-1", days_ago=6)
    add_customer(rt, "THEIRS", "rep-2", days_ago=6)
    url = f"/v1/pools/{created.json['id']}/rules:preview"
    as_pool_admin = client.post(url, headers=pool_admin, json={"rules": {"no_followup_days": 5}})
    assert as_pool_admin.status_code == 200, as_pool_admin.json
    assert [r["customer_id"] for r in as_pool_admin.json["would_reclaim"]] == ["MINE"]
    assert [r["user_id"] for r in as_pool_admin.json["per_rep"]] == ["rep-1"]
    as_admin = client.post(url, headers=admin, json={"rules": {"no_followup_days": 5}})
    assert sorted(r["customer_id"] for r in as_admin.json["would_reclaim"]) == ["MINE", "THEIRS"]

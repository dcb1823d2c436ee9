"""The pool's no-deal rule follows the customer's deals (商机): a won deal restarts its clock, and a pool
can spare customers whose deal is open in a slow stage (`exempt_stages`, say negotiation)."""
from datetime import timedelta

from crm_common.testing.events import of
from pool.reclaim import job

# A pipeline of the customer service's own where a deal may be won without a contract.
STAGES = [{"key": "talking", "name": "talking", "exit_conditions": ["valid_contact"]},
          {"key": "negotiation", "name": "negotiation"}, {"key": "won", "name": "won", "closes": "won"}]


def set_rules(world, rules):
    client = world.pool_client
    etag = client.get("/v1/pools/default", headers=world.admin).headers["ETag"]
    return client.patch("/v1/pools/default", json={"rules": rules}, headers={**world.admin, "If-Match": etag})


def open_deal(world, customer_id, *stages):
    """A deal of alice's on the quick pipeline, moved through `stages`; the pool hears of it all."""
    client, headers = world.customer_client, world.headers["alice"]
    if client.get("/v1/pipelines/quick", headers=world.customer_admin).status_code == 404:
        assert client.put("/v1/pipelines/quick", json={"name": "Quick", "stages": STAGES},
                          headers=world.customer_admin).status_code == 200
    deal = client.post(f"/v1/customers/{customer_id}/opportunities", json={"name": "Renewal", "pipeline_id": "quick"},
                       headers=headers)
    assert deal.status_code == 201, deal.json
    move(world, deal.json["id"], *stages)
    return deal.json["id"]


def move(world, deal_id, *stages):
    for stage in stages:
        moved = world.customer_client.post(f"/v1/opportunities/{deal_id}/stage", json={"stage": stage},
                                           headers=world.headers["alice"])
        assert moved.status_code == 200, moved.json
    world.settle()


def reclaimed(world):
    return [(e["subject"], e["data"]["rule"]) for e in of(world.pool_rt, "crm.pool.ownership_requested")]


def test_a_won_deal_restarts_the_no_deal_clock(world):
    # signed customers are not spared here, and follow-ups are not at stake: only the no-deal rule can fire
    assert set_rules(world, {"exempt_signed": False, "no_followup_days": 100, "no_deal_days": 30}).status_code == 200
    customer = world.customer("alice")["id"]
    world.settle()
    world.at_day(20)
    open_deal(world, customer, "negotiation", "won")
    entry = world.entry(customer)
    assert entry["open_stages"] == [] and entry["reclaim_rule"] == "no_deal"
    assert entry["reclaim_due_at"] == entry["last_won_at"] + timedelta(days=30)
    shown = world.pool_client.get(f"/v1/pool-entries?customer_id={customer}", headers=world.admin).json["items"]
    assert shown[0]["last_won_at"] and shown[0]["open_stages"] == []
    world.at_day(30.01)  # 30 days after the claim, but only 10 after the win
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 0
    world.at_day(50.01)  # 30 days after the win
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 1
    assert reclaimed(world) == [(customer, "no_deal")]


def test_a_deal_open_in_an_exempt_stage_keeps_the_customer_and_without_the_rule_it_is_reclaimed(world):
    assert set_rules(world, {"no_followup_days": 100, "exempt_stages": ["negotiation"]}).status_code == 200
    talking, negotiating = world.customer("alice")["id"], world.customer("alice")["id"]
    world.settle()
    open_deal(world, talking)
    open_deal(world, negotiating, "negotiation")
    assert (world.entry(talking)["open_stages"], world.entry(negotiating)["open_stages"]) == (
        ["talking"], ["negotiation"])
    world.at_day(30.01)
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 1
    assert reclaimed(world) == [(talking, "no_deal")]
    assert world.entry(negotiating)["reclaim_rule"] == "no_followup"  # its owner still has to follow it up

    # the preview shows what dropping the exemption would do; the change itself does it
    preview = world.pool_client.post("/v1/pools/default/rules:preview", json={"rules": {"exempt_stages": []}},
                                     headers=world.admin)
    assert preview.status_code == 200, preview.json
    assert preview.json["rules"]["exempt_stages"] == []
    assert [(r["customer_id"], r["rule"]) for r in preview.json["would_reclaim"]] == [(negotiating, "no_deal")]
    assert world.pool_client.get("/v1/pools/default", headers=world.admin).json["rules"]["exempt_stages"] == [
        "negotiation"]  # a preview changes nothing
    changed = set_rules(world, {"exempt_stages": []})
    assert changed.status_code == 200 and changed.json["rules"]["exempt_stages"] == []
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 1
    assert reclaimed(world) == [(talking, "no_deal"), (negotiating, "no_deal")]
    audit = world.pool_client.get("/v1/audit?kind=pool", headers=world.admin).json["items"]
    assert [(a["before"]["rules"]["exempt_stages"], a["after"]["rules"]["exempt_stages"]) for a in audit] == [
        ([], ["negotiation"]), (["negotiation"], [])]


def test_bad_exempt_stages_are_refused_naming_the_field_and_change_nothing(world):
    # the list itself is at fault, or the entry the field names by its place
    for bad, field in (("negotiation", "rules.exempt_stages"), ([""], "rules.exempt_stages.0"),
                       (["talking", "Negotiation!"], "rules.exempt_stages.1"), ([7], "rules.exempt_stages.0"),
                       (["x" * 51], "rules.exempt_stages.0"), (["s"] * 31, "rules.exempt_stages")):
        refused = set_rules(world, {"exempt_stages": bad})
        assert refused.status_code == 400, (bad, refused.json)
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json["errors"]] == [field], refused.json
    pool = world.pool_client.get("/v1/pools/default", headers=world.admin)
    assert pool.json["rules"]["exempt_stages"] == [] and pool.json["version"] == 1
    preview = world.pool_client.post("/v1/pools/default/rules:preview", json={"rules": {"exempt_stages": 3}},
                                     headers=world.admin)
    assert preview.status_code == 400 and preview.json["errors"][0]["field"] == "rules.exempt_stages"

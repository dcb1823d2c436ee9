"""The reclaim job: rules per pool, warnings once per lead time, first contact, no deal, exemptions, preview."""
from datetime import timedelta

from crm_common.testing.events import expect_events, of
from pool.reclaim import job
from pool.tracking import handlers

from .conftest import add_customer, add_user


def at_day(rt, days):
    rt.clock.set_offset(timedelta(days=days))


def change_rules(client, admin, rules, pool_id="default"):
    etag = client.get(f"/v1/pools/{pool_id}", headers=admin).headers["ETag"]
    response = client.patch(f"/v1/pools/{pool_id}", json={"rules": rules}, headers={**admin, "If-Match": etag})
    assert response.status_code == 200, response.json


WARNING, REQUESTED = "crm.pool.reclaim_warning", "crm.pool.ownership_requested"


def warning(customer_id, days_before):
    return (WARNING, {"subject": customer_id, "days_before": days_before})


def request(customer_id, rule):
    return (REQUESTED, {"subject": customer_id, "rule": rule})


def test_each_warning_is_sent_once_per_lead_time_then_the_customer_is_reclaimed(rt, client):
    change_rules(client, add_user(rt, "boss", "admin"), {"warn_days_before": [3, 1]})
    add_customer(rt, "C1", "rep-1")
    with expect_events(rt, [warning("C1", 3), warning("C1", 1)]):
        at_day(rt, 3.5)
        assert job.reclaim_due(rt)["warned"] == 0
        at_day(rt, 4.5)
        assert job.reclaim_due(rt)["warned"] == 1 and job.reclaim_due(rt)["warned"] == 0
        at_day(rt, 6.5)
        job.reclaim_due(rt)
        job.reclaim_due(rt)
    at_day(rt, 7.01)
    with expect_events(rt, [request("C1", "no_followup")]):
        assert job.reclaim_due(rt)["reclaimed"] == 1 and job.reclaim_due(rt)["reclaimed"] == 0


def test_a_follow_up_moves_the_warnings_with_the_due_time(rt):
    add_customer(rt, "C1", "rep-1")
    # one warning per due time: day 5 for day 7, day 10.5 for day 12.5; and no reclaim
    with expect_events(rt, [warning("C1", 2), warning("C1", 2)]):
        at_day(rt, 5.5)
        job.reclaim_due(rt)
        rt.transaction(lambda s: handlers.followed_up(rt, s, {"customer_id": "C1",
                                                              "followed_up_at": rt.clock.now().isoformat()}))
        at_day(rt, 10.6)
        job.reclaim_due(rt)


def test_a_claimed_customer_without_a_first_contact_in_48_hours_goes_back(app, rt):
    add_user(rt, "rep-1")
    add_customer(rt, "C1", "old-rep", days_ago=8)
    add_customer(rt, "C2", "old-rep", days_ago=8)
    job.reclaim_due(rt)
    for customer_id in ("C1", "C2"):
        assert app.test_client().post(f"/v1/pools/default/customers/{customer_id}/claim",
                                      headers=add_user(rt, "rep-1")).status_code == 200
    at_day(rt, 1)
    rt.transaction(lambda s: handlers.followed_up(rt, s, {"customer_id": "C2",
                                                          "followed_up_at": rt.clock.now().isoformat()}))
    at_day(rt, 2.01)
    with expect_events(rt, [request("C1", "no_first_contact")]):
        assert job.reclaim_due(rt)["reclaimed"] == 1
    assert rt.db.pool_entries.find_one({"_id": "C2"})["status"] == "owned"


def test_no_deal_within_30_days_of_the_claim_reclaims_unless_the_customer_signed(rt):
    add_customer(rt, "C1", "rep-1")
    add_customer(rt, "C2", "rep-1", lifecycle="signed")
    with expect_events(rt, [request("C1", "no_deal")], only=(REQUESTED,)):
        for day in range(5, 30, 5):  # followed up every 5 days: the no-follow-up rule never fires
            at_day(rt, day)
            for customer_id in ("C1", "C2"):
                rt.transaction(lambda s, c=customer_id: handlers.followed_up(rt, s, {
                    "customer_id": c, "followed_up_at": rt.clock.now().isoformat()}))
            assert job.reclaim_due(rt)["reclaimed"] == 0
        at_day(rt, 30.01)
        assert job.reclaim_due(rt)["reclaimed"] == 1


def test_exempt_levels_and_signed_customers_are_never_reclaimed_and_a_rule_change_applies_at_once(rt, client):
    admin = add_user(rt, "boss", "admin")
    change_rules(client, admin, {"levels": ["B", "C"]})
    add_customer(rt, "A1", "rep-1", level="A")
    add_customer(rt, "S1", "rep-1", lifecycle="signed")
    add_customer(rt, "B1", "rep-1")
    at_day(rt, 400)
    with expect_events(rt, [request("B1", "no_followup")]):
        assert job.reclaim_due(rt)["reclaimed"] == 1
    change_rules(client, admin, {"levels": ["A", "B", "C"], "exempt_signed": False})
    assert job.reclaim_due(rt)["reclaimed"] == 2
    assert sorted((e["subject"], e["data"]["rule"]) for e in of(rt, REQUESTED)) == [
        ("A1", "no_followup"), ("B1", "no_followup"), ("S1", "no_followup")]


def test_the_job_works_through_more_due_customers_than_one_batch(rt):
    for n in range(7):
        add_customer(rt, f"C{n}", "rep-1")
    at_day(rt, 8)
    assert job.reclaim_due(rt, batch=3)["reclaimed"] == 7
    assert rt.db.pool_entries.count_documents({"status": "in_pool"}) == 7


def test_a_preview_names_what_new_rules_would_reclaim_and_moves_nothing(rt, client):
    admin = add_user(rt, "boss", "admin")
    add_customer(rt, "C1", "rep-1", days_ago=6)
    add_customer(rt, "C2", "rep-2", days_ago=4)
    add_customer(rt, "C3", "rep-1", days_ago=1)
    add_customer(rt, "A1", "rep-1", days_ago=6, level="A")
    before = list(rt.db.pool_entries.find().sort("_id", 1))
    response = client.post("/v1/pools/default/rules:preview", headers=admin,
                           json={"rules": {"no_followup_days": 5, "levels": ["B", "C"]}})
    assert response.status_code == 200, response.json
    body = response.json
    reclaimed = [(r["customer_id"], r["owner_id"], r["rule"]) for r in body["would_reclaim"]]
    assert reclaimed == [("C1", "rep-1", "no_followup")]
    assert [r["customer_id"] for r in body["later"]] == ["C2", "C3"] and body["exempt"] == 1
    assert body["per_rep"] == [{"user_id": "rep-1", "would_reclaim": 1, "later": 1},
                               {"user_id": "rep-2", "would_reclaim": 0, "later": 1}]
    assert list(rt.db.pool_entries.find().sort("_id", 1)) == before and of(rt, REQUESTED) == []
    rep = client.post("/v1/pools/default/rules:preview", headers=add_user(rt, "rep-1"), json={"rules": {}})
    assert rep.status_code == 403

"""Claims are atomic and their limits hold under concurrent requests (real MongoDB, threads)."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from pool.claims import eligibility

from .conftest import add_user, in_pool

def claim(app, headers, customer_id, pool_id="default"):
    response = app.test_client().post(f"/v1/pools/{pool_id}/customers/{customer_id}/claim", headers=headers)
    return response.status_code, response.json


def together(calls):
    """Run the calls at the same moment, one thread each."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_twenty_reps_claiming_one_customer_give_one_owner_and_nineteen_refusals(app, rt):
    reps = [add_user(rt, f"rep-{n}") for n in range(20)]
    in_pool(rt, "C1")
    results = together([lambda h=h: claim(app, h, "C1") for h in reps])
    winners = [body for status, body in results if status == 200]
    refused = [body for status, body in results if status == 409]
    assert len(winners) == 1 and len(refused) == 19
    assert {r["reason"] for r in refused} == {"taken"}
    entry = rt.db.pool_entries.find_one({"_id": "C1"})
    assert (entry["status"], entry["owner_id"]) == ("owned", winners[0]["owner_id"])
    assert rt.db.movements.count_documents({"kind": "claim"}) == 1


def test_a_rep_with_a_lower_holding_limit_of_their_own_is_held_to_it(app, rt):
    # an admin set this rep's limit to 1 in the customer service; the pool's rule says 200
    rep = add_user(rt, "rep-1", holding_limit=1)
    in_pool(rt, "C1", "C2")
    assert claim(app, rep, "C1")[0] == 200
    status, body = claim(app, rep, "C2")
    assert (status, body["reason"]) == (409, "holding_limit")


def test_a_claim_answers_the_owner_and_the_first_contact_deadline(app, rt):
    rep = add_user(rt, "rep-1")
    in_pool(rt, "C1")
    status, body = claim(app, rep, "C1")
    assert status == 200, body
    assert (body["customer_id"], body["owner_id"]) == ("C1", "rep-1")
    entry = rt.db.pool_entries.find_one({"_id": "C1"})
    assert entry["first_contact_due_at"] - entry["owned_since"] == timedelta(hours=48)
    assert entry["reclaim_rule"] == "no_first_contact"


def test_the_fourth_claim_of_a_day_is_refused_and_returning_gives_no_quota_back(app, rt, client):
    rep = add_user(rt, "rep-1")
    in_pool(rt, "C1", "C2", "C3", "C4", "C5")
    assert [claim(app, rep, c)[0] for c in ("C1", "C2", "C3")] == [200, 200, 200]
    status, body = claim(app, rep, "C4")
    assert (status, body["reason"]) == (409, "daily_limit")
    assert body["retry_at"] == (eligibility.day_start(rt.clock.now()) + timedelta(days=1)).isoformat()
    returned = client.post("/v1/customers/C1/return", json={"reason": "not a fit"}, headers=rep)
    assert returned.status_code == 200, returned.json
    assert claim(app, rep, "C4")[1]["reason"] == "daily_limit"


def test_a_refused_claim_uses_no_quota(app, rt):
    rep, other = add_user(rt, "rep-1"), add_user(rt, "rep-2")
    in_pool(rt, "C1", "C2", "C3", "C4")
    assert claim(app, other, "C1")[0] == 200
    assert claim(app, rep, "C1")[1]["reason"] == "taken"
    assert [claim(app, rep, c)[0] for c in ("C2", "C3", "C4")] == [200, 200, 200]


def test_the_daily_limit_holds_under_twenty_concurrent_claims_by_one_rep(app, rt):
    rep = add_user(rt, "rep-1")
    ids = [f"C{n}" for n in range(20)]
    in_pool(rt, *ids)
    results = together([lambda c=c: claim(app, rep, c) for c in ids])
    assert sorted(status for status, _ in results).count(200) == 3
    assert {body["reason"] for status, body in results if status == 409} == {"daily_limit"}
    assert rt.db.pool_entries.count_documents({"owner_id": "rep-1", "status": "owned"}) == 3


def test_the_holding_limit_holds_under_twenty_concurrent_claims_by_one_rep(app, rt, client):
    rep = add_user(rt, "rep-1")
    admin = add_user(rt, "boss", "admin")
    etag = client.get("/v1/pools/default", headers=admin).headers["ETag"]
    changed = client.patch("/v1/pools/default", json={"rules": {"daily_claim_limit": 100, "holding_limit": 2}},
                           headers={**admin, "If-Match": etag})
    assert changed.status_code == 200, changed.json
    ids = [f"C{n}" for n in range(20)]
    in_pool(rt, *ids)
    results = together([lambda c=c: claim(app, rep, c) for c in ids])
    assert [status for status, _ in results].count(200) == 2
    assert {body["reason"] for status, body in results if status == 409} == {"holding_limit"}


def test_the_previous_owner_waits_seven_days_and_others_wait_for_a_freshly_reclaimed_customer(app, rt, client):
    old, other = add_user(rt, "old-rep"), add_user(rt, "rep-2")
    admin = add_user(rt, "boss", "admin")
    in_pool(rt, "C1", "C2")
    status, body = claim(app, old, "C1")
    reclaimed_at = rt.db.pool_entries.find_one({"_id": "C1"})["reclaimed_at"]
    assert (status, body["reason"]) == (409, "cooldown")
    assert body["retry_at"] == (reclaimed_at + timedelta(days=7)).isoformat()
    etag = client.get("/v1/pools/default", headers=admin).headers["ETag"]
    client.patch("/v1/pools/default", json={"rules": {"reclaimed_claim_wait_hours": 2}},
                 headers={**admin, "If-Match": etag})
    status, body = claim(app, other, "C2")
    assert (status, body["reason"]) == (409, "waiting")
    rt.clock.set_offset(timedelta(days=7, minutes=1))
    assert claim(app, old, "C1")[0] == 200 and claim(app, other, "C2")[0] == 200


def test_only_members_claim_from_a_pool(app, rt, client):
    admin, member, stranger = add_user(rt, "boss", "admin"), add_user(rt, "rep-1"), add_user(rt, "rep-2")
    finance = add_user(rt, "rep-3", department_path=("sales", "finance"))
    created = client.post("/v1/pools", headers=admin, json={
        "name": "金融公海", "member_user_ids": ["rep-1"], "member_department_ids": ["finance"],
        "source_department_ids": ["finance"]})
    assert created.status_code == 201, created.json
    pool_id = created.json["id"]
    in_pool(rt, "C1", "C2")
    for customer_id in ("C1", "C2"):
        moved = client.post(f"/v1/pools/default/customers/{customer_id}/transfer", headers=admin,
                            json={"to_pool_id": pool_id})
        assert moved.status_code == 200, moved.json
    status, body = claim(app, stranger, "C1", pool_id)
    assert (status, body["reason"]) == (409, "not_member")
    assert claim(app, member, "C1", pool_id)[0] == 200 and claim(app, finance, "C2", pool_id)[0] == 200
    listed = client.get(f"/v1/pools/{pool_id}/customers", headers=stranger)
    assert listed.status_code == 409 and listed.json["reason"] == "not_member"

"""Issue 12 findings in lead intake: nobody acts or learns outside their scope."""
from lead_intake.dedup import customers as directory

from .test_work_leads import org


def post(client, key, **lead):
    return client.post("/v1/leads", json=lead, headers=key)


def flagged_pair(client, channel, rt, owner, department):
    """Two leads of one company (a review) owned in `department`."""
    first = post(client, channel, name="Zhao", email=f"zhao@{department}.cn", company=f"{department}云图科技有限公司").json
    second = post(client, channel, name="Qian", email=f"qian@{department}.cn", company=f"{department}云图科技").json
    rt.db.leads.update_many({"_id": {"$in": [first["id"], second["id"]]}},
                            {"$set": {"owner_id": owner, "department_path": [department], "status": "assigned"}})
    [review] = [r for r in rt.db.reviews.find({"lead_id": second["id"]})]
    return first["id"], second["id"], review["_id"]


def test_reviews_and_merges_answer_404_outside_the_managers_department(client, channel, rt, token_for, admin):
    first, second, review = flagged_pair(client, channel, rt, "rep-a", "dA")
    mine, other = token_for("m-a", "manager", ["dA"]), token_for("m-b", "manager", ["dB"])
    assert [r["id"] for r in client.get("/v1/reviews", headers=mine).json["items"]] == [review]
    assert client.get("/v1/reviews", headers=other).json["items"] == []
    assert client.post(f"/v1/reviews/{review}/dismiss", headers=other).status_code == 404
    assert client.post(f"/v1/reviews/{review}/merge", json={"candidate_id": first},
                       headers=other).status_code == 404
    assert client.post(f"/v1/reviews/{review}/merge", json={"candidate_id": first},
                       headers=mine).status_code == 200
    assert len(client.get("/v1/merges", headers=mine).json["items"]) == 1
    assert client.get("/v1/merges", headers=other).json["items"] == []


def test_a_lead_is_never_merged_into_a_survivor_outside_the_callers_scope(client, channel, rt, token_for):
    _, mine, _ = flagged_pair(client, channel, rt, "rep-a", "dA")
    theirs, _, _ = flagged_pair(client, channel, rt, "rep-b", "dB")
    rt.transaction(lambda s: directory.customer_changed(rt, s, {
        "customer_id": "CB", "owner_id": "rep-b", "department_path": ["dB"], "name": "B", "contacts": []}))
    manager = token_for("m-a", "manager", ["dA"])
    for into_id, kind in ((theirs, "lead"), ("CB", "customer"), ("nope", "lead")):
        refused = client.post(f"/v1/leads/{mine}/merge", json={"into_id": into_id, "into_kind": kind}, headers=manager)
        assert refused.status_code == 404 and refused.json["errors"][0]["field"] == "into_id"
    assert rt.db.leads.find_one({"_id": mine})["status"] == "assigned"


def test_a_batch_counts_every_row_against_the_channels_rate_limit(client, new_channel):
    key, _ = new_channel("form", rate_limit_per_minute=10)
    rows = [{"name": f"n{i}", "email": f"{i}@b.cn"} for i in range(8)]
    assert client.post("/v1/leads:batch", json={"leads": rows}, headers=key).status_code == 200
    refused = client.post("/v1/leads:batch", json={"leads": rows[:3]}, headers=key)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_the_duplicate_check_is_limited_per_user(client, token_for):
    rep = token_for("rep-1")
    answers = [client.post("/v1/leads:check", json={"email": f"{i}@c.cn"}, headers=rep).status_code for i in range(31)]
    assert answers == [200] * 30 + [429]
    assert client.post("/v1/leads:check", json={"email": "x@c.cn"}, headers=token_for("rep-2")).status_code == 200


def test_an_import_names_only_records_within_the_managers_scope(client, channel, rt, token_for, new_channel):
    _, channel_id = new_channel("fair")
    lead = post(client, channel, name="Wang", phone="13700137000").json
    rt.db.leads.update_one({"_id": lead["id"]}, {"$set": {"owner_id": "rep-b", "department_path": ["dB"]}})
    csv = "name,phone\nWang,13700137000\n"
    for token, shown in ((token_for("m-a", "manager", ["dA"]), {"verdict": "duplicate", "taken_by_colleague": True}),
                         (token_for("m-b", "manager", ["dB"]), {"verdict": "duplicate", "duplicate_of": lead["id"],
                                                                 "duplicate_of_kind": "lead",
                                                                 "matched_keys": ["phone:+8613700137000"]})):
        report = client.post(f"/v1/leads:import?channel_id={channel_id}", data=csv,
                             headers={**token, "Content-Type": "text/csv"}).json
        assert report["results"][0]["dedup"] == shown


def test_a_manager_assigns_only_within_their_subtree(client, channel, rt, token_for):
    org(rt, [("r1", 1)], reps={"r1": {"department_path": ["d1", "d1a"]}, "r9": {"department_path": ["d9"]}})
    lead = post(client, channel, name="c", wechat_id="wx").json
    manager = token_for("m1", "manager", ["d1"])
    refused = client.post(f"/v1/leads/{lead['id']}/assign", json={"owner_id": "r9"}, headers=manager)
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "owner_id"
    assert client.post(f"/v1/leads/{lead['id']}/assign", json={"owner_id": "r1"}, headers=manager).status_code == 200


def test_a_rep_disqualifies_or_converts_only_a_lead_they_own(client, channel, token_for):
    pool_lead = post(client, channel, name="c", wechat_id="wx").json
    rep = token_for("r1", "rep", ["d1"])
    assert client.post(f"/v1/leads/{pool_lead['id']}/disqualify", json={"reason": "invalid"},
                       headers=rep).status_code == 403
    assert client.post(f"/v1/leads/{pool_lead['id']}/convert", headers=rep).status_code == 403
    assert client.post(f"/v1/leads/{pool_lead['id']}/claim", headers=rep).status_code == 200
    assert client.post(f"/v1/leads/{pool_lead['id']}/convert", headers=rep).status_code == 200


def test_a_leads_detail_and_list_name_only_candidates_within_the_callers_scope(client, channel, rt, token_for):
    theirs, mine, _ = flagged_pair(client, channel, rt, "rep-a", "dA")
    rt.db.leads.update_one({"_id": theirs}, {"$set": {"owner_id": "rep-b", "department_path": ["dB"]}})
    rep = token_for("rep-a", "rep", ["dA"])
    detail = client.get(f"/v1/leads/{mine}", headers=rep).json
    listed = {lead["id"]: lead for lead in client.get("/v1/leads", headers=rep).json["items"]}
    for shown in (detail["dedup"], listed[mine]["dedup"]):
        assert shown["verdict"] == "possible_duplicate" and "candidates" not in shown
    admin_view = client.get(f"/v1/leads/{mine}", headers=token_for("root", "admin", [])).json
    assert [c["id"] for c in admin_view["dedup"]["candidates"]] == [theirs]

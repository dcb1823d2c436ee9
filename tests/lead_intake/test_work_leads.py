"""Idempotent retries, batches, scoring and assignment, and the life of a lead."""
from crm_common.testing.events import expect_events, outbox_events
from lead_intake.assignment import reps as directory

HOT = {"phone": "13800138000", "email": "a@acme.cn", "product_interest": "CRM", "budget": 500000}


def org(rt, members, *, team="t1", reps=None):
    """Teams and reps as the crm.org events would bring them."""
    def write(session):
        for user_id, extra in (reps or {u: {} for u, _ in members}).items():
            directory.user_changed(rt, session, {"user_id": user_id, "role": "rep", "active": True,
                                                 "department_path": ["d1"], **extra})
        directory.team_changed(rt, session, {"team_id": team, "name": team,
                                             "members": [{"user_id": u, "weight": w} for u, w in members]})
    rt.transaction(write)


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(client, channel, rt):
    headers = {**channel, "Idempotency-Key": "order-1"}
    first = client.post("/v1/leads", json={"name": "Zhang", "phone": "13800138000"}, headers=headers)
    retry = client.post("/v1/leads", json={"name": "Zhang", "phone": "13800138000"}, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201) and retry.json == first.json
    assert rt.db.leads.count_documents({}) == 1 and rt.db.leads.find_one()["touchpoint_count"] == 1
    other = client.post("/v1/leads", json={"name": "Li", "phone": "13900139000"}, headers=headers)
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"


def test_a_batch_reports_each_row_and_deduplicates_within_itself(client, channel, rt):
    rows = [{"name": "A", "phone": "13800138000"}, {"name": "A", "phone": "+86 138 0013 8000"},
            {"name": "B"}, {"name": "C", "email": "c@c.cn"}]
    report = client.post("/v1/leads:batch", json={"leads": rows}, headers=channel).json
    assert (report["created"], report["duplicates"], report["rejected"]) == (2, 1, 1)
    assert [r["status"] for r in report["results"]] == [201, 200, 400, 201]
    assert report["results"][1] == {"row": 2, "status": 200, "dedup": {"verdict": "duplicate"}}
    assert outbox_events(rt.db, "crm.lead.resubmitted")[0]["data"]["record_id"] == report["results"][0]["id"]
    assert report["results"][2]["errors"][0]["field"] == "phone"
    assert rt.db.leads.count_documents({}) == 2
    too_many = client.post("/v1/leads:batch", json={"leads": [{"name": "x"}] * 501}, headers=channel)
    assert too_many.status_code == 400 and too_many.json["errors"][0]["field"] == "leads"


def test_hot_leads_are_assigned_by_weighted_round_robin_cold_ones_wait(client, channel, rt, admin):
    org(rt, [("r1", 2), ("r2", 1)])
    client.put("/v1/rules/assignment", json={"rules": [], "default_team_id": "t1"}, headers={**admin, "If-Match": "*"})
    owners = [client.post("/v1/leads", headers=channel, json={**HOT, "name": f"n{i}", "phone": f"1380013800{i}",
                                                             "email": f"{i}@a.cn"}).json["owner_id"]
              for i in range(6)]
    assert sorted(owners) == ["r1"] * 4 + ["r2"] * 2
    cold = client.post("/v1/leads", headers=channel, json={"name": "cold", "wechat_id": "wx1"}).json
    assert (cold["bucket"], cold["owner_id"]) == ("cold", None)
    assigned = outbox_events(rt.db, "crm.lead.assigned")
    assert len(assigned) == 6 and assigned[0]["data"]["by"] == "rules" and assigned[0]["data"]["respond_by"]


def test_assignment_skips_inactive_reps_and_reps_at_their_limit(client, channel, rt, admin):
    org(rt, [("r1", 1), ("r2", 1), ("r3", 1)],
        reps={"r1": {"active": False}, "r2": {"holding_limit": 0}, "r3": {}})
    client.put("/v1/rules/assignment", json={"default_team_id": "t1"}, headers={**admin, "If-Match": "*"})
    assert client.post("/v1/leads", headers=channel, json={**HOT, "name": "x"}).json["owner_id"] == "r3"


def test_a_manager_assigns_and_a_rep_claims_from_the_lead_pool(client, channel, rt, token_for):
    org(rt, [("r1", 1)])
    lead = client.post("/v1/leads", headers=channel, json={"name": "c", "wechat_id": "wx"}).json
    other = client.post("/v1/leads", headers=channel, json={"name": "d", "wechat_id": "wy"}).json
    manager = token_for("m1", "manager", ["d1"])
    assert client.post(f"/v1/leads/{lead['id']}/assign", json={"owner_id": "r1"}, headers=manager).json[
        "owner_id"] == "r1"
    assert client.post(f"/v1/leads/{lead['id']}/assign", json={"owner_id": "r1"},
                       headers=token_for("r2")).status_code == 403
    claimed = client.post(f"/v1/leads/{other['id']}/claim", headers=token_for("r2", "rep", ["d1"]))
    assert claimed.status_code == 200 and claimed.json["owner_id"] == "r2"
    assert client.post(f"/v1/leads/{other['id']}/claim", headers=token_for("r3")).status_code == 404


def test_a_reps_lead_is_invisible_to_another_rep(client, channel, token_for, rt):
    lead = client.post("/v1/leads", headers=channel, json={"name": "c", "wechat_id": "wx"}).json
    client.post(f"/v1/leads/{lead['id']}/claim", headers=token_for("r1"))
    assert client.get(f"/v1/leads/{lead['id']}", headers=token_for("r1")).status_code == 200
    assert client.get(f"/v1/leads/{lead['id']}", headers=token_for("r2")).status_code == 404
    assert client.get("/v1/leads", headers=token_for("r2")).json["items"] == []


def test_lead_states_and_disqualification(client, channel, token_for, rt):
    lead = client.post("/v1/leads", headers=channel, json={"name": "c", "wechat_id": "wx"}).json
    rep = token_for("r1")
    with expect_events(rt, [("crm.lead.assigned", {"lead_id": lead["id"], "owner_id": "r1", "by": "r1"})]):
        client.post(f"/v1/leads/{lead['id']}/claim", headers=rep)
    # subscribers see the response time end
    with expect_events(rt, [("crm.lead.contacted", {"lead_id": lead["id"], "owner_id": "r1"})]) as written:
        assert client.post(f"/v1/leads/{lead['id']}/contacted", headers=rep).json["status"] == "contacted"
    [contacted] = written
    assert contacted["data"]["assigned_at"] <= contacted["data"]["contacted_at"]
    with expect_events(rt, []):
        bad = client.post(f"/v1/leads/{lead['id']}/disqualify", json={"reason": "bored"}, headers=rep)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "reason"
    with expect_events(rt, [("crm.lead.disqualified", {"reason": "competitor"})]):
        done = client.post(f"/v1/leads/{lead['id']}/disqualify", json={"reason": "competitor"}, headers=rep).json
    assert (done["status"], done["disqualify_reason"]) == ("disqualified", "competitor")
    with expect_events(rt, []):  # a refused move writes nothing
        assert client.post(f"/v1/leads/{lead['id']}/convert", headers=rep).status_code == 409


def test_rules_are_validated_and_take_effect_at_once(client, channel, admin):
    bad = client.put("/v1/rules/scoring", json={"hot_at": 30, "warm_at": 50}, headers={**admin, "If-Match": "*"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "warm_at"
    client.put("/v1/rules/scoring", json={"hot_at": 20, "warm_at": 10}, headers={**admin, "If-Match": "*"})
    assert client.post("/v1/leads", headers=channel, json={"name": "a", "phone": "13800138000"}).json[
        "bucket"] == "hot"
    assert client.get("/v1/rules/nope", headers=admin).status_code == 404


def test_a_csv_import_reports_each_row_and_deduplicates(client, admin, new_channel, rt):
    _, channel_id = new_channel("trade-show")
    rows = "name,phone,email,company,city\nZhang,13800138000,,北京XX科技有限公司,北京\n" \
           "Zhang,+86 138 0013 8000,,,\nLi,,not-an-email,,\nWang,,wang@x.cn,Acme,上海\n"
    report = client.post(f"/v1/leads:import?channel_id={channel_id}", data=rows.encode("gb18030"),
                         headers={**admin, "Content-Type": "text/csv"}).json
    assert [r["status"] for r in report["results"]] == [201, 200, 400, 201]
    assert report["results"][2]["errors"] == [{"field": "email", "message": "'not-an-email' is not an email address"}]
    assert rt.db.leads.find_one({"name": "Zhang"})["company_key"] == "xx科技"
    missing = client.post("/v1/leads:import", data=rows, headers={**admin, "Content-Type": "text/csv"})
    assert missing.status_code == 400 and missing.json["errors"][0]["field"] == "channel_id"


def test_a_conversion_carries_the_contacts_title_birthday_place_and_note(client, channel, token_for, rt):
    lead = client.post("/v1/leads", headers=channel, json={
        "name": "Qian", "phone": "13500135000", "title": "CFO", "birthday": "1980-05-17", "province": "浙江",
        "city": "杭州", "note": "met at the expo"}).json
    rep = token_for("r1")
    client.post(f"/v1/leads/{lead['id']}/claim", headers=rep)
    with expect_events(rt, [("crm.lead.converted", {"lead_id": lead["id"], "owner_id": "r1", "title": "CFO",
                                                     "birthday": "1980-05-17", "province": "浙江",
                                                     "note": "met at the expo"})]):
        assert client.post(f"/v1/leads/{lead['id']}/convert", headers=rep).status_code == 200


def test_of_two_reps_claiming_one_lead_the_second_is_told_the_first_got_there(client, channel, rt, token_for,
                                                                                monkeypatch):
    from lead_intake.leads import routes
    lead = client.post("/v1/leads", headers=channel, json={"name": "c", "wechat_id": "wx"}).json
    as_read = rt.db.leads.find_one({"_id": lead["id"]})  # the second rep read it before the first claimed it
    assert client.post(f"/v1/leads/{lead['id']}/claim", headers=token_for("r1")).status_code == 200
    monkeypatch.setattr(routes, "visible_lead", lambda lead_id: as_read)
    with expect_events(rt, []):
        late = client.post(f"/v1/leads/{lead['id']}/claim", headers=token_for("r2"))
    assert (late.status_code, late.json["detail"]) == (409, "someone claimed the lead first")
    assert rt.db.leads.find_one({"_id": lead["id"]})["owner_id"] == "r1"

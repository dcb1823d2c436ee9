"""De-duplication against leads and customers, explained, and the review queue."""
from crm_common.testing.events import data_of, expect_events, outbox_events
from lead_intake.dedup import customers as directory


def post(client, key, **lead):
    return client.post("/v1/leads", json=lead, headers=key)


def attached_to(rt) -> tuple:
    """The record the last exact duplicate was attached to (a channel is not told)."""
    data = data_of(rt, "crm.lead.resubmitted")[-1]
    return data["record_id"], data["record_kind"]


def test_an_exact_duplicate_becomes_a_touchpoint_and_tells_the_owner(client, channel, new_channel, rt):
    first = post(client, channel, name="Zhang Wei", phone="13800138000").json
    rt.db.leads.update_one({"_id": first["id"]}, {"$set": {"owner_id": "rep-7", "status": "assigned"}})
    other, _ = new_channel("trade-show")
    with expect_events(rt, [("crm.lead.resubmitted", {"record_id": first["id"], "record_kind": "lead",
                                                       "owner_id": "rep-7", "channel": "trade-show",
                                                       "matched_keys": ["phone:+8613800138000"]})]):
        again = post(client, other, name="Zhang W.", phone="+86 138 0013 8000")
    assert again.status_code == 200
    assert again.json == {"dedup": {"verdict": "duplicate"}}  # the channel learns nothing of the record
    assert attached_to(rt) == (first["id"], "lead")
    shown = rt.db.touchpoints.find({"lead_ids": first["id"]}).sort("_id", 1)
    assert [t["channel"] for t in shown] == ["web", "trade-show"]
    assert rt.db.leads.count_documents({}) == 1


def test_a_resubmission_with_a_new_email_is_an_exact_duplicate_that_only_offers_the_email(client, channel, rt):
    # DOMAIN §1: the same phone is an exact duplicate, whatever else the submission brings
    first = post(client, channel, name="Zhang Wei", phone="13800138000").json
    again = post(client, channel, name="Zhang W.", phone="+86 138 0013 8000", email="zw@acme.cn")
    assert again.status_code == 200 and again.json == {"dedup": {"verdict": "duplicate"}}
    assert rt.db.leads.count_documents({}) == 1 and rt.db.reviews.count_documents({}) == 0
    lead = rt.db.leads.find_one({"_id": first["id"]})
    assert lead["emails"] == [] and lead["offered_keys"] == ["email:zw@acme.cn"]
    [event] = outbox_events(rt.db, "crm.lead.resubmitted")
    assert event["data"]["matched_keys"] == ["phone:+8613800138000"]
    assert (event["data"]["added_keys"], event["data"]["offered_keys"]) == ([], ["email:zw@acme.cn"])
    assert event["data"]["campaign"] is None
    [point] = rt.db.touchpoints.find({"lead_ids": first["id"], "offered_keys": {"$exists": True}})
    assert point["offered_keys"] == ["email:zw@acme.cn"]


def test_same_company_and_contact_name_is_an_exact_duplicate(client, channel, admin):
    first = post(client, channel, name="Li Na", email="li@a.cn", company="北京XX科技有限公司").json
    again = client.post("/v1/leads:check", json={"name": "li na", "phone": "13900139000",
                                                 "company": "XX科技（北京）有限公司"}, headers=admin).json
    assert again["duplicate_of"] == first["id"]
    assert again["matched_keys"] == ["company_contact:xx科技/lina"]


def test_a_lead_matching_a_customer_contact_is_attached_to_the_customer(client, channel, rt):
    rt.transaction(lambda s: directory.customer_changed(rt, s, {
        "customer_id": "C1", "owner_id": "rep-3", "name": "Acme",
        "contacts": [{"name": "Wang", "phones": ["+8613700137000"], "emails": []}]}))
    again = post(client, channel, name="Wang", phone="137-0013-7000")
    assert again.status_code == 200
    assert again.json == {"dedup": {"verdict": "duplicate"}} and attached_to(rt) == ("C1", "customer")
    assert rt.db.touchpoints.count_documents({"customer_id": "C1"}) == 1
    assert outbox_events(rt.db, "crm.lead.resubmitted")[0]["data"]["owner_id"] == "rep-3"


def test_possible_duplicates_are_created_flagged_and_explained(client, channel, rt, admin):
    first = post(client, channel, name="Zhao", email="zhao@a.cn", company="Cloudmap Information Technology Co., Ltd.",
                 city="上海").json
    same_key = post(client, channel, name="Qian", email="qian@a.cn", company="CLOUDMAP INFORMATION TECHNOLOGY (Shanghai)")
    assert same_key.status_code == 201
    assert same_key.json["dedup"] == {"verdict": "possible_duplicate"}  # no candidates for a channel
    shown = client.get(f"/v1/leads/{same_key.json['id']}", headers=admin).json["dedup"]
    assert [(c["id"], c["kind"], c["score"], c["reason"]) for c in shown["candidates"]] == [
        (first["id"], "lead", 100, "same_company_key")]
    similar = post(client, channel, name="Sun", email="sun@a.cn", company="Cloudmap Informaton Technology Ltd", city="上海").json
    shown = client.get(f"/v1/leads/{similar['id']}", headers=admin).json["dedup"]
    [candidate] = [c for c in shown["candidates"] if c["id"] == first["id"]]
    assert candidate["reason"] == "similar_company_name_same_city" and candidate["score"] >= 90
    elsewhere = post(client, channel, name="Zhou", email="zhou@a.cn", company="Cloudmap Informaton Technology Ltd", city="广州").json
    shown = client.get(f"/v1/leads/{elsewhere['id']}", headers=admin).json["dedup"]
    assert first["id"] not in [c["id"] for c in shown.get("candidates", [])]
    queue = client.get("/v1/reviews", headers=admin).json["items"]
    assert {r["lead_id"] for r in queue} >= {same_key.json["id"], similar["id"]}
    assert outbox_events(rt.db, "crm.lead.duplicate_detected")[0]["data"]["lead_id"] == same_key.json["id"]


def test_merging_a_review_keeps_every_touchpoint_and_is_audited(client, channel, rt, admin):
    first = post(client, channel, name="Zhao", email="zhao@a.cn", company="云图科技有限公司").json
    second = post(client, channel, name="Qian", phone="13600136000", company="云图科技").json
    [review] = client.get("/v1/reviews", headers=admin).json["items"]
    merged = client.post(f"/v1/reviews/{review['id']}/merge", json={"candidate_id": first["id"]}, headers=admin)
    assert merged.status_code == 200 and merged.json["status"] == "merged"
    survivor = rt.db.leads.find_one({"_id": first["id"]})
    assert survivor["touchpoint_count"] == 2 and survivor["phones"] == ["+8613600136000"]
    assert rt.db.leads.find_one({"_id": second["id"]})["status"] == "merged"
    [audit] = client.get("/v1/merges", headers=admin).json["items"]
    assert (audit["merged_id"], audit["survivor_id"], audit["touchpoints_moved"]) == (second["id"], first["id"], 1)
    # the merged lead's phone now leads to the survivor
    assert post(client, channel, name="Q", phone="13600136000").status_code == 200
    assert attached_to(rt) == (first["id"], "lead")
    again = client.post(f"/v1/reviews/{review['id']}/merge", json={"candidate_id": first["id"]}, headers=admin)
    assert again.status_code == 409


def test_dismissing_a_review_leaves_both_leads(client, channel, rt, admin):
    post(client, channel, name="Zhao", email="zhao@a.cn", company="云图科技有限公司")
    post(client, channel, name="Qian", email="qian@a.cn", company="云图科技")
    [review] = client.get("/v1/reviews", headers=admin).json["items"]
    # subscribers learn the flag was lifted (DOMAIN §6: every state change is an event)
    with expect_events(rt, [("crm.lead.duplicate_dismissed", {
            "subject": review["lead_id"], "review_id": review["id"],
            "candidate_ids": [c["id"] for c in review["candidates"]]})]):
        assert client.post(f"/v1/reviews/{review['id']}/dismiss", headers=admin).json["status"] == "dismissed"
    assert rt.db.leads.count_documents({"status": "new"}) == 2
    assert client.get("/v1/reviews", headers=admin).json["items"] == []


def test_a_rep_checks_a_contact_before_calling_and_nothing_is_stored(client, channel, rt, token_for):
    rt.transaction(lambda s: directory.customer_changed(rt, s, {
        "customer_id": "C9", "owner_id": "rep-3", "name": "Acme",
        "contacts": [{"name": "Wang", "phones": ["+8613700137000"], "emails": []}]}))
    rep = token_for("rep-3")
    held = client.post("/v1/leads:check", json={"phone": "137 0013 7000"}, headers=rep)
    assert held.status_code == 200
    assert held.json == {"verdict": "duplicate", "duplicate_of": "C9", "duplicate_of_kind": "customer",
                         "matched_keys": ["phone:+8613700137000"], "owner_id": "rep-3"}
    # another rep hears "taken, by a colleague", not whose or which record
    colleague = client.post("/v1/leads:check", json={"phone": "137 0013 7000"}, headers=token_for("rep-5"))
    assert colleague.json == {"verdict": "duplicate", "taken_by_colleague": True}
    assert client.post("/v1/leads:check", json={"email": "new@acme.cn"}, headers=rep).json == {"verdict": "new"}
    assert rt.db.leads.count_documents({}) == 0
    assert [e["type"] for e in outbox_events(rt.db)] == ["crm.config.changed"]  # the channel's creation alone
    bad = client.post("/v1/leads:check", json={"phone": "12"}, headers=rep)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "phone"
    assert client.post("/v1/leads:check", json={"phone": "13700137000"}, headers=channel).status_code == 401


def test_contacts_a_customer_gave_up_or_a_deleted_customer_no_longer_block_leads(client, channel, rt):
    customer = {"customer_id": "C2", "owner_id": "rep-3", "name": "Acme",
                "contacts": [{"name": "Wang", "phones": ["+8613700137000"], "emails": ["w@acme.cn"]}]}
    rt.transaction(lambda s: directory.customer_changed(rt, s, customer))
    customer["contacts"][0]["phones"] = []  # the customer's update dropped the phone
    rt.transaction(lambda s: directory.customer_changed(rt, s, customer))
    assert post(client, channel, name="Someone", phone="13700137000").status_code == 201
    rt.transaction(lambda s: directory.customer_deleted(rt, s, customer))
    assert post(client, channel, name="Wang", email="w@acme.cn").status_code == 201


def test_a_converted_leads_contact_belongs_to_its_customer(client, channel, rt):
    lead = post(client, channel, name="Wang", phone="13700137000").json
    rt.transaction(lambda s: directory.customer_changed(rt, s, {
        "customer_id": "C3", "owner_id": "rep-4", "name": "Wang", "source_lead_id": lead["id"],
        "contacts": [{"name": "Wang", "phones": ["+8613700137000"], "emails": []}]}))
    assert post(client, channel, name="Wang", phone="137 0013 7000").status_code == 200
    assert attached_to(rt) == ("C3", "customer")


def test_the_reports_learn_the_campaign_of_a_lead_and_of_its_duplicate(client, channel, rt):
    # an ad platform sends utm_campaign only; the channels report files by campaign (DOMAIN §5)
    post(client, channel, name="Wu", phone="13800138077", utm_campaign="spring-ads")
    post(client, channel, name="Wu", phone="+86 138 0013 8077", campaign="expo-2026")
    [received] = outbox_events(rt.db, "crm.lead.received")
    [again] = outbox_events(rt.db, "crm.lead.resubmitted")
    assert (received["data"]["campaign"], again["data"]["campaign"]) == ("spring-ads", "expo-2026")

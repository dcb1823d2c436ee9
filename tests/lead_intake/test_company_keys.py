"""Possible duplicates are found through blocking keys stored in MongoDB: whatever process
stored a company a moment ago, with nothing loaded per process."""
from lead_intake.dedup import customers as directory
from lead_intake.app import create_app

SHANGHAI = "上海"


def submit(client, channel, n, company, city=SHANGHAI):
    """The stored lead (what a reviewer reads; a channel is not shown the candidates)."""
    response = client.post("/v1/leads", headers=channel, json={"name": f"n{n}", "email": f"{n}@x.cn",
                                                               "company": company, "city": city})
    assert response.status_code == 201, response.json
    return client.application.extensions["crm"].db.leads.find_one({"name": f"n{n}"}) | {"id": response.json["id"]}


def candidates(client, channel, n, company, city=SHANGHAI):
    return {c["id"]: c["reason"] for c in submit(client, channel, n, company, city)["dedup"].get("candidates", [])}


def test_a_company_stored_by_another_process_a_moment_ago_is_a_possible_duplicate(client, channel, app_for):
    other = app_for(create_app, "lead-intake")  # another gunicorn worker of the service
    first = other.test_client().post("/v1/leads", headers=channel, json={
        "name": "Zhao", "email": "zhao@x.cn", "company": "Cloudmap Information Technology", "city": SHANGHAI}).json
    assert candidates(client, channel, 1, "Cloudmap Informaton Technology") == {
        first["id"]: "similar_company_name_same_city"}


def test_each_rule_of_domain_1_through_the_api_with_its_explanation(client, channel):
    first = submit(client, channel, 0, "上海华信电子科技有限公司", city="上海市")["id"]
    elsewhere = submit(client, channel, 1, "华信电子科技（北京）分公司", city="北京")
    assert {c["id"]: c["reason"] for c in elsewhere["dedup"]["candidates"]} == {first: "same_company_key"}
    assert candidates(client, channel, 2, "华信物流有限公司") == {first: "same_brand_same_city"}
    homophone = submit(client, channel, 3, "華新電子有限公司", city="Shanghai")["dedup"]["candidates"]
    assert {c["id"]: c["reason"] for c in homophone}[first] == "homophone_brand_same_city"
    explained = next(c for c in homophone if c["id"] == first)
    assert explained["compared"]["sound"] == ["huaxin", "huaxin"] and explained["compared"]["city"] == "上海"
    assert explained["compared"]["brand"] == ["华新", "华信"] and "company_name" in explained["scores"]
    latin = candidates(client, channel, 4, "Huaxin Electronics Co., Ltd.")
    assert latin[first] == "latin_brand_same_city"


def test_shared_trade_words_and_different_sounds_are_not_candidates(client, channel):
    submit(client, channel, 0, "星河科技有限公司")
    assert candidates(client, channel, 1, "云帆科技有限公司") == {}
    assert candidates(client, channel, 2, "星海科技有限公司") == {}
    assert candidates(client, channel, 3, "星河科技有限公司", city="北京") != {}  # same key anywhere


def test_a_deleted_customer_or_merged_lead_stops_being_a_candidate(rt, client, channel):
    rt.transaction(lambda s: directory.customer_changed(rt, s, {
        "customer_id": "C1", "owner_id": "rep-1", "name": "Brightstar Robotics", "city": SHANGHAI,
        "contacts": [{"name": "Wu", "phones": ["+8613700137000"]}]}))
    assert candidates(client, channel, 1, "Brightstar Robotic") == {"C1": "similar_company_name_same_city"}
    rt.transaction(lambda s: directory.customer_deleted(rt, s, {"customer_id": "C1"}))
    assert "C1" not in candidates(client, channel, 2, "Brightstar Robotix")


def test_a_process_is_ready_at_once_whatever_is_stored(rt, client):
    rt.db.companies.insert_many([{"_id": f"lead:{i}", "kind": "lead", "record_id": str(i), "company_key": f"k{i}",
                                  "blocks": [f"k:k{i}"]} for i in range(2000)])
    ready = client.get("/readyz")
    assert ready.status_code == 200 and "company_keys" not in ready.json["checks"]

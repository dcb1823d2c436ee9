"""Touchpoints are shown: every submission of a lead or a customer, its channel, time and payload."""
from lead_intake.dedup import customers as directory


def test_a_leads_touchpoints_list_each_submission_to_whoever_sees_the_lead(client, channel, token_for):
    lead = client.post("/v1/leads", headers=channel, json={"name": "Sun", "phone": "13600136001",
                                                           "utm_source": "expo"}).json
    assert client.post("/v1/leads", headers=channel, json={"name": "Sun", "phone": "136 0013 6001",
                                                          "note": "again"}).status_code == 200
    client.post(f"/v1/leads/{lead['id']}/claim", headers=token_for("r1"))
    shown = client.get(f"/v1/leads/{lead['id']}/touchpoints", headers=token_for("r1"))
    assert shown.status_code == 200, shown.json
    items = shown.json["items"]
    assert [t["payload"].get("utm_source") for t in items] == ["expo", None]
    assert items[1]["payload"]["note"] == "again" and all(t["channel"] and t["at"] for t in items)
    assert client.get(f"/v1/leads/{lead['id']}/touchpoints", headers=token_for("r2")).status_code == 404


def test_a_customers_resubmissions_are_listed_in_its_owners_scope(client, channel, rt, token_for):
    rt.transaction(lambda s: directory.customer_changed(rt, s, {
        "customer_id": "C9", "owner_id": "r1", "name": "Zhou", "source_lead_id": None,
        "contacts": [{"name": "Zhou", "phones": ["+8613900139009"], "emails": []}]}))
    assert client.post("/v1/leads", headers=channel, json={"name": "Zhou", "phone": "13900139009",
                                                          "campaign": "spring"}).status_code == 200
    shown = client.get("/v1/touchpoints", query_string={"customer_id": "C9"}, headers=token_for("r1"))
    assert shown.status_code == 200, shown.json
    assert [t["payload"]["campaign"] for t in shown.json["items"]] == ["spring"]
    hidden = client.get("/v1/touchpoints", query_string={"customer_id": "C9"}, headers=token_for("r2"))
    assert hidden.status_code == 404
    missing = client.get("/v1/touchpoints", headers=token_for("r1"))
    assert missing.status_code == 400 and missing.json["errors"][0]["field"] == "customer_id"

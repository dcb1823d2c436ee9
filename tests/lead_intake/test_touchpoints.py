"""Touchpoints are shown: every submission of a lead or a customer, its channel, time and payload."""
from datetime import datetime, timedelta, timezone

import bson

from lead_intake.dedup import customers as directory
from lead_intake.migrations.move_touchpoints import migrate


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


def test_a_leads_touchpoints_come_a_page_at_a_time_oldest_first(client, channel, admin):
    lead = client.post("/v1/leads", headers=channel, json={"name": "Sun", "phone": "13600136001", "note": "0"}).json
    for n in range(1, 5):
        client.post("/v1/leads", headers=channel, json={"name": "Sun", "phone": "13600136001", "note": str(n)})
    url = f"/v1/leads/{lead['id']}/touchpoints"
    first = client.get(url, query_string={"limit": 3}, headers=admin).json
    assert [t["payload"]["note"] for t in first["items"]] == ["0", "1", "2"] and first["next_cursor"]
    rest = client.get(url, query_string={"limit": 3, "cursor": first["next_cursor"]}, headers=admin).json
    assert [t["payload"]["note"] for t in rest["items"]] == ["3", "4"] and rest["next_cursor"] is None
    too_many = client.get(url, query_string={"limit": 1000}, headers=admin)
    assert too_many.status_code == 400 and too_many.json["errors"][0]["field"] == "limit"


def test_two_thousand_resubmissions_all_land_and_the_lead_stays_small(client, new_channel, rt, admin):
    # before, each pushed its payload into the lead: about 1,100 of 15 KB passed MongoDB's 16 MB limit
    channel, _ = new_channel(rate_limit_per_minute=10_000)
    note = "x" * 1000
    lead = client.post("/v1/leads", headers=channel, json={"name": "Sun", "phone": "13600136001"}).json
    statuses = []
    for _ in range(4):
        report = client.post("/v1/leads:batch", headers=channel, json={"leads": [
            {"name": "Sun", "phone": "13600136001", "note": note}] * 500}).json
        statuses += [r["status"] for r in report["results"]]
    assert statuses == [200] * 2000
    shown = client.get(f"/v1/leads/{lead['id']}", headers=admin).json
    assert shown["touchpoints"] == 2001
    assert len(bson.encode(rt.db.leads.find_one({"_id": lead["id"]}))) < 64 * 1024
    assert rt.db.touchpoints.count_documents({"lead_ids": lead["id"]}) == 2001
    assert client.post("/v1/leads", headers=channel, json={"name": "Sun", "phone": "13600136001"}).status_code == 200


def test_a_merged_leads_touchpoints_are_listed_under_its_survivor(client, channel, admin):
    first = client.post("/v1/leads", headers=channel, json={"name": "Zhao", "email": "zhao@a.cn",
                                                            "company": "云图科技有限公司"}).json
    second = client.post("/v1/leads", headers=channel, json={"name": "Qian", "phone": "13600136000",
                                                             "company": "云图科技", "note": "second"}).json
    moved = client.post(f"/v1/leads/{second['id']}/merge", json={"into_id": first["id"]}, headers=admin)
    assert moved.status_code == 200, moved.json
    survivor = client.get(f"/v1/leads/{first['id']}/touchpoints", headers=admin).json["items"]
    assert [t["payload"].get("note") for t in survivor] == [None, "second"]
    assert len(client.get(f"/v1/leads/{second['id']}/touchpoints", headers=admin).json["items"]) == 1


def test_the_migration_moves_stored_touchpoints_out_of_leads_once(client, rt, admin):
    at = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    kept = [{"channel_id": "ch1", "channel": "web", "at": at + timedelta(seconds=i // 2), "payload": {"note": str(i)}}
            for i in range(5)]
    rt.db.leads.insert_one({"_id": "L1", "name": "Sun", "status": "new", "owner_id": None, "phones": [],
                            "emails": [], "touchpoints": kept, "touchpoint_count": 5})
    rt.db.customers.insert_one({"_id": "C1", "owner_id": None, "name": "Acme"})
    rt.db.customer_touchpoints.insert_one({"_id": "65e18a000000000000000001", "customer_id": "C1",
                                           "channel_id": "ch1", "channel": "web", "at": at, "payload": {"note": "c"}})
    assert migrate(rt.db) == {"leads": 1, "touchpoints": 5, "customer_touchpoints": 1}
    assert "touchpoints" not in rt.db.leads.find_one({"_id": "L1"})
    shown = client.get("/v1/leads/L1/touchpoints", headers=admin).json
    assert [t["payload"]["note"] for t in shown["items"]] == ["0", "1", "2", "3", "4"]
    assert client.get("/v1/leads/L1", headers=admin).json["touchpoints"] == 5
    customer = client.get("/v1/touchpoints", query_string={"customer_id": "C1"}, headers=admin).json
    assert [t["payload"]["note"] for t in customer["items"]] == ["c"]
    # a second run, or one after a run stopped half way, moves nothing twice
    rt.db.leads.update_one({"_id": "L1"}, {"$set": {"touchpoints": kept}})
    assert migrate(rt.db) == {"leads": 1, "touchpoints": 0, "customer_touchpoints": 0}
    assert migrate(rt.db) == {"leads": 0, "touchpoints": 0, "customer_touchpoints": 0}
    assert rt.db.touchpoints.count_documents({}) == 6

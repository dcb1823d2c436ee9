"""CSV import and export, and the pool's ownership requests arriving through Kafka."""
import csv
import io
import time

from crm_common.consumer import ConsumerLoop
from crm_common.events import encode, topic_for
from customer.service import handlers

CSV = """name,contact_name,phone,email,city,level,tags
Acme Ltd,Zhang Wei,138 0013 8000,,Hangzhou,A,vip;east
Beta Co,Li Na,13900139000,li@beta.cn,Shanghai,B,
Beta Again,Li Na,+86 139 0013 9000,,,,
Gamma,Wang,12,,,,
ACME Co.,zhang wei,,zw@acme.cn,,,
Delta,,,,,Z,
"""


def test_an_import_reports_each_row_and_deduplicates_like_leads(org, client, rt):
    existing = org.customer("bob", name="Omega", contacts=[{"phones": ["13900139000"]}])
    report = client.post("/v1/customers:import", data=CSV.encode(), content_type="text/csv",
                         headers=org.headers["alice"])
    assert report.status_code == 200, report.json
    rows = report.json["results"]
    assert [r["status"] for r in rows] == [201, 200, 200, 400, 200, 400]
    assert (report.json["created"], report.json["duplicates"], report.json["rejected"]) == (1, 3, 2)
    assert rows[1]["matched_keys"] == ["phone:+8613900139000"]
    assert rows[1]["duplicate_of"] is None  # bob's customer: alice may not learn its id
    assert rows[4]["duplicate_of"] == rows[0]["id"]  # same company and contact name, spelt otherwise
    again = client.post("/v1/customers:import", data=b"name,phone\nOmega,13900139000\n", content_type="text/csv",
                        headers=org.headers["east_manager"])
    assert again.json["results"][0]["duplicate_of"] == existing["id"]  # in the manager's scope, so named
    assert rows[3]["errors"][0]["field"] == "contacts.0.phones.0" and rows[5]["errors"][0]["field"] == "level"
    acme = client.get(f"/v1/customers/{rows[0]['id']}", headers=org.headers["alice"]).json
    assert (acme["owner_id"], acme["level"], acme["tags"], acme["contacts"][0]["phones"]) == (
        org.id("alice"), "A", ["vip", "east"], ["+8613800138000"])


def test_a_manager_imports_for_a_rep_and_a_rep_cannot(org, client):
    body = b"name,phone\nKappa,13700137000\n"
    for_rep = client.post("/v1/customers:import", data=body, content_type="text/csv",
                          query_string={"owner_id": org.id("bob")}, headers=org.headers["east_manager"])
    created = for_rep.json["results"][0]
    assert client.get(f"/v1/customers/{created['id']}", headers=org.headers["bob"]).json["owner_id"] == org.id("bob")
    assert client.post("/v1/customers:import", data=body, content_type="text/csv",
                       query_string={"owner_id": org.id("bob")}, headers=org.headers["alice"]).status_code == 403


def test_the_export_is_a_spreadsheet_of_the_filtered_scope(org, client):
    org.customer("alice", name="=HYPERLINK(evil)", level="A")
    org.customer("alice", name="Plain", level="B")
    text = client.get("/v1/customers:export", query_string={"level": "A"},
                      headers=org.headers["alice"]).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(evil)"]  # a formula is not run by the spreadsheet
    assert rows[0]["owner_id"] == org.id("alice") and rows[0]["phones"].startswith("'+86")  # a leading + is escaped against formula injection


def pool_request(rt, customer_id, version, kind, expected, to_owner_id=None):
    event = rt.event("crm.pool.ownership_requested", customer_id, {
        "request_id": f"req-{kind}", "customer_id": customer_id, "kind": kind, "expected": expected,
        "to_owner_id": to_owner_id, "pool_id": "default", "requested_at": "2025-01-08T00:00:00Z"})
    event["version"] = version  # as the pool's outbox numbers its events of this customer
    return event


def test_pool_requests_from_kafka_move_the_owner_once_even_when_redelivered(org, rt):
    customer = org.customer("alice")
    reclaim = pool_request(rt, customer["id"], 1, "reclaim", {"owner_id": org.id("alice")})
    claim = pool_request(rt, customer["id"], 2, "assign", {"owner_id": None}, org.id("carol"))
    for event in (reclaim, claim, claim):  # the claim arrives twice: at-least-once delivery
        rt.producer.send(topic_for(event["type"]), key=customer["id"].encode(), value=encode(event)).get(timeout=10)
    loop = ConsumerLoop(rt, "customer", handlers(rt))
    loop.consumer.subscribe(loop.topics)
    handled, deadline = 0, time.monotonic() + 20
    try:
        while handled < 3 and time.monotonic() < deadline:
            handled += loop.poll_once(timeout_ms=300)
    finally:
        loop.consumer.close()
    stored = rt.db.customers.find_one({"_id": customer["id"]})
    assert (stored["owner_id"], stored["claim_count"], stored["in_pool"]) == (org.id("carol"), 1, False)
    assert stored["department_path"] == org.users["carol"]["department_path"]


def test_an_import_row_of_a_known_company_is_created_and_flagged_with_it(org, client):
    # DOMAIN §1: the same company key anywhere is a possible duplicate; a person decides
    known = org.customer("alice", name="华信电子科技有限公司", contacts=[{"name": "Wang", "phones": ["13700137011"]}])
    rows = "name,contact_name,phone\n華信電子科技（深圳）有限公司,Li,13700137012\nOther Co,Zhou,13700137013\n"

    def imported(user, text):
        return client.post("/v1/customers:import", data=text.encode(), content_type="text/csv",
                           headers=org.headers[user]).json["results"]
    flagged, plain = imported("alice", rows)
    assert flagged["status"] == 201 and flagged["possible_duplicates"] == {
        "reason": "same_company_key", "company_key": "华信电子科技", "candidates": [known["id"]], "not_shown": 0}
    assert plain["status"] == 201 and "possible_duplicates" not in plain
    [for_bob] = imported("bob", "name,contact_name,phone\n华信电子科技有限公司,Sun,13700137014\n")
    assert for_bob["possible_duplicates"]["candidates"] == []  # alice's customers are not bob's to see
    assert for_bob["possible_duplicates"]["not_shown"] == 2

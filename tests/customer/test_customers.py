"""Customers and contacts: optimistic concurrency, contacts, owners, collaborators, deletion,
and the customers that other services' events create or move."""
from crm_common.events import validate
from crm_common.testing.events import data_of, expect_events, outbox_events
from customer.customers import intake, ownership

from .conftest import new_phone


def test_a_stale_write_gets_412_and_a_write_without_if_match_428(org, client, rt):
    customer = org.customer("alice")
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]
    read = client.get(url, headers=alice)
    assert read.headers["ETag"] == '"1"'
    missing = client.patch(url, json={"level": "A"}, headers=alice)
    assert missing.status_code == 428 and missing.json["errors"][0]["field"] == "If-Match"
    first = client.patch(url, json={"level": "A", "tags": ["vip"]}, headers={**alice, "If-Match": read.headers["ETag"]})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"' and first.json["level"] == "A"
    stale = client.patch(url, json={"level": "B"}, headers={**org.headers["east_manager"], "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    assert client.get(url, headers=alice).json["level"] == "A"  # the stale write changed nothing
    assert data_of(rt, "crm.customer.updated", customer["id"])[0]["changed_fields"] == ["level", "tags"]


def test_contacts_are_normalised_kept_unique_and_travel_in_the_events(org, client, rt):
    customer = org.customer("alice", contacts=[{"name": "Zhang", "phones": ["138 0000 1111"]}])
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]
    added = client.post(f"{url}/contacts", json={"name": "Li", "emails": [" Li@Acme.CN "]}, headers=alice)
    assert added.status_code == 201 and added.json["contacts"][1]["emails"] == ["li@acme.cn"]
    li = added.json["contacts"][1]["contact_id"]
    edited = client.patch(f"{url}/contacts/{li}", json={"wechat_ids": ["LiWX"]},
                          headers={**alice, "If-Match": added.headers["ETag"]})
    assert edited.status_code == 200 and edited.json["contacts"][1]["wechat_ids"] == ["liwx"]
    assert edited.json["contacts"][1]["emails"] == ["li@acme.cn"]
    last = data_of(rt, "crm.customer.updated", customer["id"])[-1]
    assert last["contacts"][1] == {"contact_id": li, "name": "Li", "phones": [], "emails": ["li@acme.cn"],
                                   "wechat_ids": ["liwx"], "email": "li@acme.cn", "mobile": None,
                                   "language": None, "timezone": None, "primary": False}
    taken = client.post("/v1/customers", headers=org.headers["bob"], json={
        "name": "Copy", "contacts": [{"phones": ["+86 13800001111"]}]})
    assert taken.status_code == 409 and taken.json["matched_keys"] == ["phone:+8613800001111"]
    assert taken.json["duplicate_of"] is None  # bob may not learn which customer holds it
    bad = client.post(f"{url}/contacts", json={"phones": ["123"]}, headers=alice)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "phones.0"
    gone = client.delete(f"{url}/contacts/{li}", headers={**alice, "If-Match": edited.headers["ETag"]})
    assert [c["name"] for c in gone.json["contacts"]] == ["Zhang"]
    assert rt.db.contact_keys.count_documents({"customer_id": customer["id"]}) == 1


def test_a_manager_reassigns_and_the_customer_moves_to_the_new_owners_department(org, client, rt):
    customer = org.customer("alice")
    with expect_events(rt, [("crm.customer.owner_changed", {
            "subject": customer["id"], "from_owner_id": org.id("alice"), "to_owner_id": org.id("carol"),
            "kind": "reassign", "reason": "leave"})]):
        moved = client.post(f"/v1/customers/{customer['id']}/owner",
                            json={"owner_id": org.id("carol"), "reason": "leave"}, headers=org.headers["boss"])
    assert moved.status_code == 200, moved.json
    assert (moved.json["owner_id"], moved.json["claim_count"]) == (org.id("carol"), 1)
    assert moved.json["department_path"] == org.users["carol"]["department_path"]
    assert client.get(f"/v1/customers/{customer['id']}", headers=org.headers["alice"]).status_code == 404


def test_an_owner_transfers_and_may_stay_on_as_a_collaborator(org, client):
    customer = org.customer("alice")
    url = f"/v1/customers/{customer['id']}"
    refused = client.post(f"{url}/transfer", json={"to_user_id": org.id("carol")}, headers=org.headers["bob"])
    assert refused.status_code == 404  # bob cannot see it at all
    done = client.post(f"{url}/transfer", json={"to_user_id": org.id("bob"), "keep_as_collaborator": True},
                       headers=org.headers["alice"])
    assert (done.json["owner_id"], done.json["collaborator_ids"]) == (org.id("bob"), [org.id("alice")])
    assert client.get(url, headers=org.headers["alice"]).status_code == 200  # still works on it
    full = client.post(f"{url}/transfer", json={"to_user_id": org.id("carol")}, headers=org.headers["alice"])
    assert full.status_code == 403  # a collaborator is not the owner
    elsewhere = client.post(f"{url}/transfer", json={"to_user_id": org.id("carol")}, headers=org.headers["bob"])
    assert elsewhere.status_code == 403  # carol is in West, outside bob's East (issue 21)
    assert elsewhere.json["errors"] == [{"field": "to_user_id", "message": "outside your department"}]
    client.patch(f"/v1/users/{org.id('alice')}", json={"holding_limit": 0}, headers=org.admin)
    limit = client.post(f"{url}/transfer", json={"to_user_id": org.id("alice")}, headers=org.headers["bob"])
    assert limit.status_code == 409 and limit.json["errors"][0]["field"] == "to_user_id"


def test_deleting_a_customer_hides_it_frees_its_contacts_and_tells_others(org, client, rt):
    phone = new_phone()
    customer = org.customer("alice", contacts=[{"phones": [phone]}])
    url = f"/v1/customers/{customer['id']}"
    assert client.delete(url, headers={**org.headers["alice"], "If-Match": '"9"'}).status_code == 412
    assert client.delete(url, headers=org.headers["alice"]).status_code == 204
    assert client.get(url, headers=org.admin).status_code == 404
    assert data_of(rt, "crm.customer.deleted", customer["id"])[0]["contacts"][0]["phones"] == [f"+86{phone}"]
    org.customer("bob", contacts=[{"phones": [phone]}])  # the number is free again


def test_derived_fields_follow_the_profile(org, client):
    customer = org.customer("alice")
    before = customer["completeness"]
    filled = client.patch(f"/v1/customers/{customer['id']}", headers={**org.headers["alice"], "If-Match": '"1"'},
                          json={"industry": "software", "city": "Hangzhou", "website": "acme.cn", "tags": ["vip"]})
    assert filled.json["completeness"] > before
    assert filled.json["claim_count"] == 0 and filled.json["outstanding"] == "0.00"
    tagged = client.get("/v1/customers", query_string={"tag": "vip"}, headers=org.headers["alice"]).json["items"]
    assert [c["id"] for c in tagged] == [customer["id"]]


def convert(rt, lead):
    rt.transaction(lambda s: intake.create_from_lead(rt, s, lead))


def test_a_converted_lead_becomes_one_customer_however_often_the_event_comes(org, rt, client):
    lead = {"lead_id": "lead-1", "converted_by": org.id("alice"), "owner_id": org.id("alice"), "name": "Zhou",
            "company": "Acme", "phones": ["+8613800009999"], "emails": [], "wechat_ids": [],
            "converted_at": "2025-01-01T00:00:00Z", "city": "Hangzhou"}
    convert(rt, lead)
    convert(rt, lead)
    found = client.get("/v1/customers", query_string={"source_lead_id": "lead-1"}, headers=org.admin).json["items"]
    assert len(found) == 1 and found[0]["owner_id"] == org.id("alice") and found[0]["city"] == "Hangzhou"
    assert found[0]["department_path"] == org.users["alice"]["department_path"]
    created = data_of(rt, "crm.customer.created", found[0]["id"])
    assert len(created) == 1 and created[0]["contacts"][0]["phones"] == ["+8613800009999"]
    assert created[0]["source_lead_id"] == "lead-1" and created[0]["lifecycle"] == "potential"


def test_a_converted_lead_keeps_its_contacts_title_and_birthday_for_the_birthday_reminder(org, rt, client):
    convert(rt, {"lead_id": "lead-2", "converted_by": org.id("alice"), "owner_id": org.id("alice"), "name": "Qian",
                 "company": "Qian Trading", "phones": ["+8613500135000"], "emails": [], "wechat_ids": [],
                 "converted_at": "2025-01-01T00:00:00Z", "title": "CFO", "birthday": "1980-05-17",
                 "province": "浙江", "note": "met at the expo"})
    [found] = client.get("/v1/customers", query_string={"source_lead_id": "lead-2"}, headers=org.admin).json["items"]
    [contact] = found["contacts"]
    assert (contact["title"], contact["birthday"]) == ("CFO", "1980-05-17")
    assert (found["province"], found["note"]) == ("浙江", "met at the expo")
    [created] = data_of(rt, "crm.customer.created", found["id"])
    assert [b["birthday"] for b in created["birthdays"]] == ["1980-05-17"]  # what notify plans birthdays from


def pool_request(customer_id, kind, expected, to_owner_id=None):
    return {"request_id": f"req-{kind}", "customer_id": customer_id, "kind": kind, "expected": expected,
            "to_owner_id": to_owner_id, "pool_id": "default", "reason": None, "rule": "no_followup", "by": "pool",
            "requested_at": "2025-01-08T00:00:00Z"}


def test_the_pool_reclaims_and_a_claim_gives_a_new_owner(org, rt, client):
    customer = org.customer("alice")
    reclaim = pool_request(customer["id"], "reclaim", {"owner_id": org.id("alice"), "last_followup_at": None})
    with expect_events(rt, [("crm.customer.owner_changed", {"subject": customer["id"], "kind": "pool_reclaim",
                                                            "request_id": "req-reclaim", "in_pool": True})]):
        rt.transaction(lambda s: ownership.requested(rt, s, reclaim))
    pooled = client.get(f"/v1/customers/{customer['id']}", headers=org.admin).json
    assert (pooled["owner_id"], pooled["in_pool"], pooled["pool_id"], pooled["claim_count"]) == (None, True, "default", 0)
    assert client.get(f"/v1/customers/{customer['id']}", headers=org.headers["alice"]).status_code == 404
    claim = pool_request(customer["id"], "claim", {"owner_id": None}, to_owner_id=org.id("carol"))
    with expect_events(rt, [("crm.customer.owner_changed", {"subject": customer["id"], "kind": "pool_claim",
                                                            "request_id": "req-claim", "claim_count": 1})]):
        rt.transaction(lambda s: ownership.requested(rt, s, claim))
    claimed = client.get(f"/v1/customers/{customer['id']}", headers=org.headers["carol"]).json
    assert (claimed["owner_id"], claimed["in_pool"], claimed["claim_count"]) == (org.id("carol"), False, 1)
    assert claimed["department_path"] == org.users["carol"]["department_path"] and claimed["pool_id"] is None


def test_a_pool_request_whose_expectation_no_longer_holds_is_refused_and_changes_nothing(org, rt, client):
    customer = org.customer("alice")
    stale = pool_request(customer["id"], "reclaim", {"owner_id": org.id("bob")})
    claim = pool_request(customer["id"], "claim", {"owner_id": None}, to_owner_id=org.id("carol"))
    with expect_events(rt, [  # said so, and nothing else
            ("crm.customer.ownership_refused", {"subject": customer["id"], "request_id": "req-reclaim",
                                                "reason": "owner_changed", "owner_id": org.id("alice")}),
            ("crm.customer.ownership_refused", {"subject": customer["id"], "request_id": "req-claim",
                                                "reason": "owner_changed", "owner_id": org.id("alice")})]):
        rt.transaction(lambda s: ownership.requested(rt, s, stale))
        rt.transaction(lambda s: ownership.requested(rt, s, claim))
    stored = client.get(f"/v1/customers/{customer['id']}", headers=org.headers["alice"]).json
    assert (stored["owner_id"], stored["in_pool"], stored["version"]) == (org.id("alice"), False, customer["version"])


ISSUE_EVENTS = {"created", "updated", "owner_changed", "stage_changed", "qualified", "followed_up", "contract_signed",
                "payment_received", "lifecycle_changed", "won", "lost", "deleted", "followup_scheduled"}


def test_a_deal_publishes_every_customer_event_to_its_contract_with_identity_keys(org, client, rt):
    won, lost = org.customer("alice"), org.customer("alice")
    url, alice = f"/v1/customers/{won['id']}", org.headers["alice"]
    assert client.patch(url, headers={**alice, "If-Match": '"1"'}, json={
        "interest_expressed": True, "needs": "CRM", "needs_matched": True, "proposal_url": "q.pdf",
        "terms_agreed": True, "invoice_info": {"title": "Acme", "tax_id": "9133"}}).status_code == 200
    calls = [("put", "/qualification", {"qualitative": "valuable", "expected_amount": 1000}),
             ("post", "/followups", {"channel": "phone", "content": "ok", "goal_met": True, "next_plan": "quote",
                                     "next_contact_at": "2099-01-01T00:00:00Z"}),
             ("post", "/stage", {"stage": "proposal"}),
             ("post", "/contracts", {"amount": 100, "start_date": "2025-01-01", "end_date": "2025-12-31"}),
             ("post", "/payments", {"amount": 50, "received_on": "2025-01-02"}),
             ("post", "/stage", {"stage": "contract_signed"})]
    for method, suffix, body in calls:
        response = getattr(client, method)(url + suffix, json=body, headers=alice)
        assert response.status_code in (200, 201), (suffix, response.json)
    assert client.post(f"{url}/owner", json={"owner_id": org.id("bob")}, headers=org.headers["boss"]).status_code == 200
    lost_url = f"/v1/customers/{lost['id']}"
    lost_now = client.post(f"{lost_url}/stage", json={"stage": "lost", "loss_reason": "price"}, headers=alice)
    assert lost_now.status_code == 200
    assert client.delete(lost_url, headers=alice).status_code == 204
    published = [e for e in outbox_events(rt.db) if e["type"].startswith("crm.customer.")]
    assert {e["type"].removeprefix("crm.customer.") for e in published} == ISSUE_EVENTS
    for event in published:
        validate(event)  # lead-intake de-duplicates against these keys
        assert event["data"]["contacts"][0]["phones"][0].startswith("+86"), event["type"]


def test_the_api_is_described_in_openapi(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/v1/customers/{customer_id}", "/v1/customers/{customer_id}/stage", "/v1/users", "/v1/departments",
                 "/v1/customers/{customer_id}/followups", "/v1/customers:import", "/v1/pipelines/{pipeline_id}"):
        assert path in paths, path


def test_an_edit_that_changes_nothing_keeps_the_version_for_other_editors(org, client, rt):
    customer = org.customer("alice", level="B")
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]
    same = client.patch(url, json={"level": "B"}, headers={**alice, "If-Match": '"1"'})
    assert same.status_code == 200 and same.headers["ETag"] == '"1"'
    assert client.patch(url, json={}, headers={**alice, "If-Match": '"1"'}).headers["ETag"] == '"1"'
    assert not data_of(rt, "crm.customer.updated", customer["id"])
    assert client.patch(url, json={"level": "A"}, headers={**org.headers["east_manager"], "If-Match": '"1"'}).status_code == 200

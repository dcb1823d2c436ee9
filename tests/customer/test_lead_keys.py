"""A customer entered, edited or imported by hand is refused when a lead holds its contact (DOMAIN §1:
de-duplicated against every lead as well as every customer; 防撞单), from lead-intake's events."""
from crm_common.consumer import deliver
from customer.service import handlers


def lead_event(rt, event_type, subject, version, data):
    event = rt.event(event_type, subject, data)
    event["version"] = version
    assert deliver(rt, "customer", handlers(rt), event)


def received(rt, lead_id, **contact):
    lead_event(rt, "crm.lead.received", lead_id, 1, {
        "lead_id": lead_id, "channel_id": "ch", "channel": "web", "name": contact.pop("name", "Zhao"),
        "company": contact.pop("company", None), "phones": contact.get("phones", []),
        "emails": contact.get("emails", []), "wechat_ids": [], "received_at": rt.clock.now().isoformat(),
        "score": 30, "bucket": "cold"})


def test_a_contact_a_lead_holds_is_not_entered_again_as_a_customer(org, client, rt):
    received(rt, "L1", phones=["+8613600136001"], emails=["zhao@acme.cn"])
    refused = client.post("/v1/customers", headers=org.headers["alice"], json={
        "name": "Acme", "contacts": [{"name": "Zhao", "phones": ["136 0013 6001"]}]})
    assert refused.status_code == 409 and refused.json["duplicate_of_kind"] == "lead"
    assert refused.json["matched_keys"] == ["phone:+8613600136001"]
    url = f"/v1/customers/{org.customer('alice')['id']}"
    etag = client.get(url, headers=org.headers["alice"]).headers["ETag"]
    added = client.post(url + "/contacts", headers={**org.headers["alice"], "If-Match": etag},
                        json={"name": "Zhao", "emails": ["ZHAO@acme.cn"]})
    assert added.status_code == 409 and added.json["duplicate_of_kind"] == "lead"
    csv = "name,contact_name,phone,email\nAcme,Zhao,,zhao@acme.cn\nOther,Qian,13600136002,\n"
    report = client.post("/v1/customers:import", data=csv.encode(), content_type="text/csv",
                         headers=org.headers["alice"]).json
    assert [(r["status"], r.get("duplicate_of_kind")) for r in report["results"]] == [(200, "lead"), (201, None)]
    assert report["results"][0]["matched_keys"] == ["email:zhao@acme.cn"]


def test_a_lead_with_the_same_company_and_contact_name_makes_an_import_row_a_duplicate(org, client, rt):
    received(rt, "L2", name="Sun Li", company="北京云帆科技有限公司", phones=["+8613600136003"])
    csv = "name,contact_name,email\n云帆科技（北京）有限公司,sun li,sun@yf.cn\n"
    [row] = client.post("/v1/customers:import", data=csv.encode(), content_type="text/csv",
                        headers=org.headers["alice"]).json["results"]
    assert (row["status"], row["duplicate_of_kind"], row["matched_keys"]) == (200, "lead", [
        "company_contact:云帆科技/sunli"])


def test_a_converted_or_merged_lead_lets_its_contacts_go(org, client, rt):
    received(rt, "L3", phones=["+8613600136004"])
    received(rt, "L4", phones=["+8613600136005"])
    received(rt, "L5", phones=["+8613600136006"])
    lead_event(rt, "crm.lead.converted", "L3", 2, {
        "lead_id": "L3", "converted_by": org.id("alice"), "owner_id": org.id("alice"), "name": "Zhao",
        "company": "Acme", "phones": ["+8613600136004"], "emails": [], "wechat_ids": [],
        "converted_at": rt.clock.now().isoformat()})
    [converted] = client.get("/v1/customers", query_string={"source_lead_id": "L3"}, headers=org.admin).json["items"]
    assert converted["contacts"][0]["phones"] == ["+8613600136004"]  # now the customer's, not the lead's
    lead_event(rt, "crm.lead.merged", "L4", 2, {"merged_id": "L4", "survivor_id": "L5", "survivor_kind": "lead",
                                               "by": "u", "merged_at": rt.clock.now().isoformat()})

    def entered(phone):
        return client.post("/v1/customers", headers=org.headers["bob"], json={
            "name": "X", "contacts": [{"name": "X", "phones": [phone]}]})
    assert entered("+8613600136005").json["duplicate_of_kind"] == "lead"  # L4's phone is L5's now
    lead_event(rt, "crm.lead.merged", "L5", 2, {"merged_id": "L5", "survivor_id": converted["id"],
                                               "survivor_kind": "customer", "by": "u",
                                               "merged_at": rt.clock.now().isoformat()})
    # merged into a customer: no lead holds it any more, and the customer's contacts stay the customer
    # service's own (a rep adds the contact to the customer if it is theirs)
    assert entered("+8613600136006").status_code == 201


def test_a_replayed_receipt_of_a_lead_converted_since_holds_nothing(org, client, rt):
    # the upgrade path: lead-intake's log replayed after the conversion was applied
    lead_event(rt, "crm.lead.converted", "L6", 2, {
        "lead_id": "L6", "converted_by": org.id("alice"), "owner_id": org.id("alice"), "name": "Ma",
        "company": "Ma Co", "phones": ["+8613600136007"], "emails": [], "wechat_ids": [],
        "converted_at": rt.clock.now().isoformat()})
    event = rt.event("crm.lead.received", "L6", {
        "lead_id": "L6", "channel_id": "ch", "channel": "web", "name": "Ma", "phones": ["+8613600136007"],
        "emails": [], "wechat_ids": [], "received_at": rt.clock.now().isoformat(), "score": 30, "bucket": "cold"})
    event["version"] = 1
    assert not deliver(rt, "customer", handlers(rt), event)  # older than the conversion: dropped
    assert rt.db.lead_keys.count_documents({"lead_id": "L6"}) == 0


def test_a_method_confirmed_on_a_lead_keeps_a_customer_with_it_from_being_entered(org, client, rt):
    received(rt, "L7", phones=["+8613600136007"])
    body = {"name": "Acme", "contacts": [{"name": "Zhao", "emails": ["zhao7@acme.cn"]}]}
    lead_event(rt, "crm.lead.contact_methods_confirmed", "L7", 2, {
        "lead_id": "L7", "owner_id": None, "added_keys": ["email:zhao7@acme.cn"], "by": "u1",
        "confirmed_at": rt.clock.now().isoformat()})
    refused = client.post("/v1/customers", headers=org.headers["alice"], json=body)
    assert refused.status_code == 409 and refused.json["duplicate_of_kind"] == "lead"
    assert refused.json["matched_keys"] == ["email:zhao7@acme.cn"]

"""Issue 12 point 3: one shape for a contact everywhere: phone/email/wechat_id as a lead takes them."""
from crm_common.testing.events import outbox_events

from .conftest import new_phone


def test_a_customer_contact_takes_one_phone_email_or_wechat_id_like_a_lead(org, client):
    alice, phone = org.headers["alice"], new_phone()
    created = client.post("/v1/customers", headers=alice, json={"name": "Shape Co", "contacts": [
        {"name": "Wang", "phone": phone, "email": "Wang@Shape.cn", "wechat_id": "wx_wang", "phones": [new_phone()]}]})
    assert created.status_code == 201, created.json
    [contact] = created.json["contacts"]
    assert contact["phones"][-1].endswith(phone[-8:]) and len(contact["phones"]) == 2
    assert (contact["emails"], contact["wechat_ids"]) == (["wang@shape.cn"], ["wx_wang"])
    assert "phone" not in contact  # answers keep the lists
    bad = client.post("/v1/customers", headers=alice, json={"name": "Bad", "contacts": [{"name": "x", "phone": "12"}]})
    assert bad.status_code == 400


def test_the_openapi_documents_both_shapes(client):
    schema = client.get("/openapi.json").json["components"]["schemas"]["NewContactIn"]["properties"]
    assert {"phone", "email", "wechat_id", "phones", "emails", "wechat_ids"} <= set(schema)


def test_a_contact_keeps_its_language_time_zone_and_primary_mark_and_every_event_carries_them(org, client, rt):
    alice = org.headers["alice"]
    bad = client.post("/v1/customers", headers=alice, json={"name": "Zone Co", "contacts": [
        {"name": "Wang", "phone": new_phone(), "timezone": "Mars/Olympus"}, {"name": "Li", "language": "fr"}]})
    assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in bad.json["errors"]} == {"contacts.0.timezone", "contacts.1.language"}
    assert rt.db.customers.count_documents({"name": "Zone Co"}) == 0  # nothing half-written
    created = client.post("/v1/customers", headers=alice, json={"name": "Zone Co", "contacts": [
        {"name": "Wang", "phone": new_phone(), "timezone": "America/New_York", "language": "en"},
        {"name": "Li", "phone": new_phone()}]})
    assert created.status_code == 201, created.json
    wang, li = created.json["contacts"]
    assert (wang["timezone"], wang["language"]) == ("America/New_York", "en")
    url = f"/v1/customers/{created.json['id']}/contacts/{li['contact_id']}"
    refused = client.patch(url, headers={**alice, "If-Match": created.headers["ETag"]}, json={"timezone": "UTC+8"})
    assert refused.status_code == 400 and [e["field"] for e in refused.json["errors"]] == ["timezone"]
    marked = client.patch(url, headers={**alice, "If-Match": created.headers["ETag"]},
                          json={"primary": True, "timezone": "Asia/Shanghai", "language": "zh"})
    assert marked.status_code == 200, marked.json
    assert marked.json["contacts"][1]["timezone"] == "Asia/Shanghai"
    [listed] = [e["data"]["contacts"] for e in outbox_events(rt.db, "crm.customer.updated")
                if e["subject"] == created.json["id"]]
    assert [(c["name"], c["language"], c["timezone"], c["primary"]) for c in listed] == [
        ("Wang", "en", "America/New_York", False), ("Li", "zh", "Asia/Shanghai", True)]
    [first] = [e["data"]["contacts"] for e in outbox_events(rt.db, "crm.customer.created")
               if e["subject"] == created.json["id"]]
    assert (first[0]["timezone"], first[1]["timezone"], first[1]["primary"]) == ("America/New_York", None, False)
    added = client.post(f"/v1/customers/{created.json['id']}/contacts", headers=alice,
                        json={"name": "Zhao", "phone": new_phone(), "primary": True})
    assert [bool(c.get("primary")) for c in added.json["contacts"]] == [False, False, True]  # one primary

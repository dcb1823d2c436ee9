"""Issue 12 point 3: one shape for a contact everywhere: phone/email/wechat_id as a lead takes them."""
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

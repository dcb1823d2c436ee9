"""Products as data: admins keep the price list (audited like other configuration), everyone logged in
reads it, a code is unique, and an edit needs the version last read."""
from crm_common.testing.events import data_of

PRODUCT = {"name": "企业版 CRM 年费", "code": "CRM-ENT-Y", "unit": "套", "list_price": "12800.00", "category": "软件"}


def make(client, headers, **fields):
    return client.post("/v1/products", json={**PRODUCT, **fields}, headers=headers)


def test_an_admin_adds_a_product_and_every_rep_reads_it(org, client, rt):
    made = make(client, org.admin)
    assert made.status_code == 201, made.json
    assert (made.json["list_price"], made.json["active"], made.json["unit"]) == ("12800.00", True, "套")
    assert made.headers["ETag"] == '"1"'
    read = client.get(f"/v1/products/{made.json['id']}", headers=org.headers["carol"])
    assert read.status_code == 200 and read.json["name"] == "企业版 CRM 年费"
    assert make(client, org.headers["alice"], code="OTHER").status_code == 403
    assert make(client, org.headers["east_manager"], code="OTHER").status_code == 403
    (row,) = client.get("/v1/audit?kind=product", headers=org.admin).json["items"]
    assert row["before"] is None and row["after"]["code"] == "CRM-ENT-Y" and row["after"]["list_price"] == "12800.00"
    assert [d["subject"] for d in data_of(rt, "crm.config.changed") if d["kind"] == "product"] == [made.json["id"]]


def test_a_code_is_unique(org, client):
    assert make(client, org.admin).status_code == 201
    again = make(client, org.admin, name="another")
    assert again.status_code == 409 and again.json["reason"] == "product_code_taken"
    assert again.json["errors"] == [{"field": "code", "message": "already used by another product"}]
    other = make(client, org.admin, code="SMS-PACK").json
    renamed = client.patch(f"/v1/products/{other['id']}", json={"code": "CRM-ENT-Y"},
                           headers={**org.admin, "If-Match": '"1"'})
    assert renamed.status_code == 409 and renamed.json["reason"] == "product_code_taken"


def test_bad_input_names_the_field_and_stores_nothing(org, client):
    for body, field in [({"list_price": "12.345"}, "list_price"), ({"list_price": -1}, "list_price"),
                        ({"code": "has space"}, "code"), ({"unit": ""}, "unit"), ({"name": None}, "name")]:
        answer = make(client, org.admin, **body)
        assert answer.status_code == 400 and answer.content_type == "application/problem+json", (body, answer.json)
        assert field in [e["field"] for e in answer.json["errors"]], answer.json
    assert client.get("/v1/products", headers=org.admin).json["items"] == []


def test_the_list_is_paged_and_filters_on_active(org, client):
    ids = [make(client, org.admin, code=f"P-{n}", name=f"product {n}").json["id"] for n in range(3)]
    withdrawn = client.patch(f"/v1/products/{ids[1]}", json={"active": False},
                             headers={**org.admin, "If-Match": '"1"'})
    assert withdrawn.status_code == 200 and withdrawn.json["active"] is False and withdrawn.headers["ETag"] == '"2"'
    on_sale = client.get("/v1/products?active=true", headers=org.headers["alice"]).json["items"]
    assert [p["id"] for p in on_sale] == [ids[0], ids[2]]
    first = client.get("/v1/products?limit=2", headers=org.headers["alice"]).json
    rest = client.get(f"/v1/products?limit=2&cursor={first['next_cursor']}", headers=org.headers["alice"]).json
    assert [p["id"] for p in first["items"] + rest["items"]] == ids


def test_an_edit_needs_the_version_last_read(org, client):
    product = make(client, org.admin).json
    url = f"/v1/products/{product['id']}"
    assert client.patch(url, json={"list_price": 9900}, headers=org.admin).status_code == 428
    changed = client.patch(url, json={"list_price": 9900}, headers={**org.admin, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json["list_price"] == "9900.00"
    stale = client.patch(url, json={"list_price": 1}, headers={**org.admin, "If-Match": '"1"'})
    assert stale.status_code == 412 and client.get(url, headers=org.admin).json["list_price"] == "9900.00"
    assert client.patch(url, json={"active": False}, headers={**org.headers["alice"], "If-Match": '"2"'}).status_code == 403
    rows = client.get("/v1/audit?kind=product", headers=org.admin).json["items"]
    assert (rows[-1]["before"]["list_price"], rows[-1]["after"]["list_price"]) == ("12800.00", "9900.00")

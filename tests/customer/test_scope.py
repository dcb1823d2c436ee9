"""Data scope (DOMAIN §2): admin all, manager own department subtree, rep own and collaborated customers."""
from .conftest import new_phone

IF_MATCH = {"If-Match": '"1"'}
# Every endpoint that names one customer: another rep's id must answer 404, exactly as an unknown id.
ONE_CUSTOMER = [
    ("get", "", None),
    ("patch", "", {"name": "x"}),
    ("delete", "", None),
    ("post", "/contacts", {"name": "x"}),
    ("patch", "/contacts/c1", {"name": "x"}),
    ("delete", "/contacts/c1", None),
    ("post", "/transfer", {"to_user_id": "u"}),
    ("put", "/collaborators", {"user_ids": []}),
    ("post", "/stage", {"stage": "lost", "loss_reason": "price"}),
    ("get", "/stage-history", None),
    ("put", "/qualification", {"qualitative": "valuable"}),
    ("post", "/milestones", {"milestone": "pinned"}),
    ("delete", "/milestones/pinned", None),
    ("post", "/marks", {"mark": "invalid"}),
    ("post", "/followups", {"channel": "phone", "content": "hi", "goal_met": True}),
    ("get", "/followups", None),
    ("post", "/contracts", {"amount": 1, "start_date": "2025-01-01", "end_date": "2025-12-31"}),
    ("get", "/contracts", None),
    ("post", "/payments", {"amount": 1, "received_on": "2025-01-01"}),
    ("get", "/payments", None),
]


def test_another_reps_customer_is_not_found_on_every_endpoint(org, client, rt):
    customer = org.customer("alice")
    org.user("west_manager", "manager", org.west["id"])
    answers = {}
    for method, suffix, body in ONE_CUSTOMER:
        for who, customer_id in (("carol", customer["id"]), ("carol", "000000000000000000000000"),
                                 ("west_manager", customer["id"])):
            response = getattr(client, method)(f"/v1/customers/{customer_id}{suffix}", json=body,
                                               headers={**org.headers[who], **IF_MATCH})
            answers[(method, suffix, who, customer_id)] = (response.status_code, response.json.get("detail"))
    # Out of scope and unknown look the same, so nothing tells that the customer exists.
    assert {a for a in answers.values()} == {(404, "no such customer")}, answers
    assert rt.db.customers.find_one({"_id": customer["id"]})["version"] == 1  # and nothing changed


def test_owner_change_is_for_managers_and_admins_in_scope(org, client):
    customer = org.customer("alice")
    body = {"owner_id": org.id("bob")}
    assert client.post(f"/v1/customers/{customer['id']}/owner", json=body, headers=org.headers["bob"]).status_code == 403
    assert client.post(f"/v1/customers/{customer['id']}/owner", json=body,
                       headers=org.headers["carol"]).status_code == 403
    org.user("west_manager", "manager", org.west["id"])
    assert client.post(f"/v1/customers/{customer['id']}/owner", json=body,
                       headers=org.headers["west_manager"]).status_code == 404


def ids(client, headers, **params):
    response = client.get("/v1/customers", query_string=params, headers=headers)
    assert response.status_code == 200, response.json
    return {c["id"] for c in response.json["items"]}


def test_each_role_lists_exactly_its_scope_and_views_narrow_it(org, client):
    a = org.customer("alice")["id"]
    b = org.customer("bob")["id"]
    c = org.customer("carol")["id"]
    client.put(f"/v1/customers/{b}/collaborators", json={"user_ids": [org.id("alice")]}, headers=org.headers["bob"])
    assert ids(client, org.headers["alice"]) == {a, b}
    assert ids(client, org.headers["alice"], view="mine") == {a}
    assert ids(client, org.headers["alice"], view="collaborating") == {b}
    assert ids(client, org.headers["carol"]) == {c}
    assert ids(client, org.headers["east_manager"]) == {a, b}
    assert ids(client, org.headers["east_manager"], view="subordinates") == {a, b}
    assert ids(client, org.headers["boss"]) == {a, b, c}
    assert ids(client, org.headers["boss"], view="subordinates") == {a, b, c}  # reports of reports too
    assert ids(client, org.headers["boss"], view="mine") == set()
    assert ids(client, org.admin) == {a, b, c}
    bad = client.get("/v1/customers", query_string={"view": "everyone"}, headers=org.admin)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "view"


def test_the_subordinates_view_follows_the_supervisor_chain_not_the_department(org, client):
    org.user("dave", "rep", org.east["id"], supervisor="boss")  # sits in east, reports to boss directly
    org.user("erin", "rep", org.west["id"], supervisor="east_manager")  # reports to east's manager from west
    a, d, e = (org.customer(who)["id"] for who in ("alice", "dave", "erin"))
    assert ids(client, org.headers["east_manager"]) == {a, d}
    assert ids(client, org.headers["east_manager"], view="subordinates") == {a}
    assert ids(client, org.headers["boss"], view="subordinates") == {a, d, e}
    # A view only narrows the role's scope: erin's customer is outside east, so not even her supervisor sees it.
    assert client.get(f"/v1/customers/{e}", headers=org.headers["east_manager"]).status_code == 404
    assert ids(client, org.headers["alice"], view="subordinates") == set()


def test_export_respects_scope(org, client):
    org.customer("alice", name="Alpha Co")
    org.customer("carol", name="Gamma Co")
    mine = client.get("/v1/customers:export", headers=org.headers["alice"])
    assert mine.status_code == 200 and mine.mimetype == "text/csv"
    text = mine.get_data(as_text=True)
    assert "Alpha Co" in text and "Gamma Co" not in text
    everything = client.get("/v1/customers:export", headers=org.admin).get_data(as_text=True)
    assert "Alpha Co" in everything and "Gamma Co" in everything


SERVER_OWNED = [
    ("owner_id", "someone"), ("department_path", ["d"]), ("department", "d"), ("order_total", 5),
    ("paid_total", 1), ("outstanding", 0), ("stage", "proposal"), ("lifecycle", "signed"), ("claim_count", 9),
    ("collaborator_ids", ["u"]), ("completeness", 1), ("version", 7), ("last_followup_at", "2025-01-01T00:00:00Z"),
]


def test_a_request_setting_a_server_owned_field_is_rejected(org, client, rt):
    customer = org.customer("alice")
    for field, value in SERVER_OWNED:
        created = client.post("/v1/customers", headers=org.headers["alice"], json={
            "name": "Other", "contacts": [{"phones": [new_phone()]}], field: value})
        assert created.status_code == 400 and created.json["errors"][0]["field"] == field, created.json
        patched = client.patch(f"/v1/customers/{customer['id']}", json={field: value},
                               headers={**org.headers["alice"], **IF_MATCH})
        assert patched.status_code == 400 and patched.json["errors"][0]["field"] == field, patched.json
    assert rt.db.customers.count_documents({}) == 1 and rt.db.customers.find_one()["version"] == 1
    unknown = client.patch(f"/v1/customers/{customer['id']}", json={"surprise": 1},
                           headers={**org.headers["alice"], **IF_MATCH})
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "surprise"

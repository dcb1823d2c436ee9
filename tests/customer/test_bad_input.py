"""Bad input on every write route: a problem+json 4xx naming the field, never a 500, nothing written."""
from crm_common.testing.events import of

HUGE = "x" * 200_000
PROBLEM = "application/problem+json"


def write_routes(org, customer_id, contact_id, contract_id):
    """(method, url, a valid body, who) of every POST/PUT/PATCH route of the service."""
    base = f"/v1/customers/{customer_id}"
    alice, manager, admin = org.headers["alice"], org.headers["east_manager"], org.admin
    return [
        ("post", "/v1/customers", {"name": "A", "level": "B", "tags": ["t"], "contacts": [{"phones": ["13900000001"]}]},
         alice),
        ("patch", base, {"name": "B", "interest_expressed": True, "invoice_info": {"title": "t"}}, alice),
        ("post", f"{base}/contacts", {"name": "x", "phones": ["13900000002"]}, alice),
        ("patch", f"{base}/contacts/{contact_id}", {"name": "x", "emails": ["a@b.cn"]}, alice),
        ("post", f"{base}/followups", {"channel": "phone", "content": "x", "goal_met": True, "next_plan": "p",
                                       "next_contact_at": "2099-01-01T00:00:00Z"}, alice),
        ("post", f"{base}/contracts", {"amount": 1, "start_date": "2025-01-01", "end_date": "2025-12-31"}, alice),
        ("post", f"{base}/payments", {"amount": 1, "received_on": "2025-01-01", "contract_id": contract_id}, alice),
        ("post", f"{base}/stage", {"stage": "lost", "loss_reason": "x"}, alice),
        ("put", f"{base}/qualification", {"qualitative": "valuable", "grade": "large", "expected_amount": 1,
                                          "expected_sign_date": "2025-01-01"}, alice),
        ("put", f"{base}/collaborators", {"user_ids": [org.id("bob")]}, alice),
        ("post", f"{base}/transfer", {"to_user_id": org.id("bob"), "keep_as_collaborator": True}, alice),
        ("post", f"{base}/owner", {"owner_id": org.id("bob"), "reason": "r"}, manager),
        ("post", f"{base}/milestones", {"milestone": "target", "target_month": "2025-06"}, alice),
        ("post", f"{base}/marks", {"mark": "no_demand", "reason": "r"}, alice),
        ("post", "/v1/departments", {"name": "D", "parent_id": org.sales["id"]}, admin),
        ("patch", f"/v1/departments/{org.east['id']}", {"name": "E", "active": True}, admin),
        ("post", "/v1/users", {"username": "zed", "password": "longenough", "role": "rep",
                               "department_id": org.east["id"], "supervisor_id": org.id("boss"), "holding_limit": 3},
         admin),
        ("patch", f"/v1/users/{org.id('carol')}", {"role": "rep", "department_id": org.west["id"],
                                                   "supervisor_id": org.id("boss"), "holding_limit": 3}, admin),
        ("post", "/v1/teams", {"name": "T", "department_id": org.east["id"],
                               "members": [{"user_id": org.id("bob"), "weight": 1}]}, admin),
        ("post", "/v1/auth/token", {"username": "alice", "password": "alice-secret"}, {}),
        ("put", "/v1/pipelines/p2", {"name": "P", "stages": [{"key": "a", "name": "a", "expected_days": [1, 2],
                                                              "actions": [{"kind": "schedule_followup", "days": 1}]}]},
         admin),
    ]


def bad_bodies(body):
    """(body, the field the answer must name): every field of a wrong type, then too long, then an unknown field."""
    for field in body:
        yield {**body, field: [{"wrong": "type"}]}, field
        yield {**body, field: HUGE}, field
    yield {**body, "surprise": 1}, "surprise"


def written(rt):
    return {name: rt.db[name].count_documents({}) for name in (
        "customers", "followups", "contracts", "payments", "stage_history", "users", "departments", "teams",
        "pipelines", "outbox")}


def test_every_write_route_answers_bad_input_with_a_problem_naming_the_field(org, client, rt):
    customer = org.customer("alice")
    contract = client.post(f"/v1/customers/{customer['id']}/contracts", headers=org.headers["alice"],
                           json={"amount": 10, "start_date": "2025-01-01", "end_date": "2025-12-31"}).json
    stored, before = rt.db.customers.find_one({"_id": customer["id"]}), written(rt)
    wrong = []
    for method, url, body, headers in write_routes(org, customer["id"], customer["contacts"][0]["contact_id"],
                                                   contract["id"]):
        answers = [(getattr(client, method)(url, json=bad, headers={**headers, "If-Match": "*"}), field)
                   for bad, field in bad_bodies(body)]
        answers += [(getattr(client, method)(url, json=bad, headers={**headers, "If-Match": "*"}), None)
                    for bad in ([], "text", 12) + ((None,) if method != "patch" else ())]
        answers.append((getattr(client, method)(url, data=b"{not json", content_type="application/json",
                                                headers={**headers, "If-Match": "*"}), None))
        for response, field in answers:
            named = [e.get("field") for e in response.json.get("errors") or []]
            if response.status_code != 400 or response.mimetype != PROBLEM or (
                    field and not any(n and n.split(".")[0] == field for n in named)):
                wrong.append((method, url, field, response.status_code, named))
    assert wrong == [], "\n".join(map(str, wrong))
    assert written(rt) == before and rt.db.customers.find_one({"_id": customer["id"]}) == stored


def test_a_malformed_if_match_is_a_400_a_missing_one_428_a_stale_one_412(org, client, rt):
    customer = org.customer("alice")
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]
    for if_match in ("garbage", '"abc"', "W/", '"²"'):
        for method, suffix, body in (("patch", "", {"level": "A"}), ("post", "/stage", {"stage": "lost",
                                                                                        "loss_reason": "x"}),
                                     ("delete", "", None)):
            response = getattr(client, method)(url + suffix, json=body, headers={**alice, "If-Match": if_match})
            assert response.status_code == 400 and response.mimetype == PROBLEM, (if_match, method, suffix)
            assert response.json["errors"][0]["field"] == "If-Match"
    assert client.patch(url, json={"level": "A"}, headers=alice).status_code == 428
    assert client.patch(url, json={"level": "A"}, headers={**alice, "If-Match": '"99999999999"'}).status_code == 412
    assert rt.db.customers.find_one({"_id": customer["id"]})["version"] == 1
    assert not of(rt, "crm.customer.updated", customer["id"])


def test_ids_that_cannot_exist_are_not_found(org, client):
    for bad in ("x" * 3000, "$where", "{}", "a b"):
        for method, suffix, body in (("get", "", None), ("patch", "", {"level": "A"}), ("delete", "", None),
                                     ("get", "/followups", None), ("get", "/stage-history", None),
                                     ("post", "/stage", {"stage": "lost", "loss_reason": "x"})):
            response = getattr(client, method)(f"/v1/customers/{bad}{suffix}", json=body,
                                               headers={**org.headers["alice"], "If-Match": '"1"'})
            assert (response.status_code, response.mimetype) == (404, PROBLEM), (bad[:10], method, suffix)


def test_a_new_contact_must_name_someone_or_say_how_to_reach_them(org, client, rt):
    customer = org.customer("alice")
    alice = org.headers["alice"]
    empty = client.post(f"/v1/customers/{customer['id']}/contacts", json={"name": " ", "phones": []}, headers=alice)
    assert empty.status_code == 400 and empty.json["errors"][0]["field"] == "name"
    created = client.post("/v1/customers", json={"name": "Nobody Ltd", "contacts": [{}]}, headers=alice)
    assert created.status_code == 400 and created.json["errors"][0]["field"] == "contacts.0.name"
    assert len(rt.db.customers.find_one({"_id": customer["id"]})["contacts"]) == 1
    by_mail = client.post(f"/v1/customers/{customer['id']}/contacts", json={"emails": ["li@acme.cn"]}, headers=alice)
    assert by_mail.status_code == 201  # no name, but a way to reach them

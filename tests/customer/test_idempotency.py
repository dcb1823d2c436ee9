"""Idempotency-Key on every creating write: a retry gets the first answer and writes nothing."""
import io
from concurrent.futures import ThreadPoolExecutor

import pytest

from crm_common.testing.events import of, outbox_events

from .conftest import new_phone


def twice(client, url, body, headers, key="retry-1"):
    """The same request sent twice, as a client retrying after a timeout would."""
    headers = {**headers, "Idempotency-Key": key}
    first = client.post(url, json=body, headers=headers)
    retry = client.post(url, json=body, headers=headers)
    assert first.status_code < 300, first.json
    assert (retry.status_code, retry.json) == (first.status_code, first.json)
    assert retry.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    return first


def test_a_retried_payment_is_recorded_once(org, client, rt):
    customer, alice = org.customer(), org.headers["alice"]
    url = f"/v1/customers/{customer['id']}"
    contract = client.post(f"{url}/contracts", headers=alice,
                           json={"amount": 100000, "start_date": "2025-01-01", "end_date": "2025-12-31"}).json
    body = {"amount": 30000, "received_on": "2025-02-01", "contract_id": contract["id"]}
    first = twice(client, f"{url}/payments", body, alice)
    assert first.status_code == 201 and first.headers["ETag"]
    totals = client.get(url, headers=alice).json
    assert (totals["paid_total"], totals["outstanding"]) == ("30000.00", "70000.00")
    assert len(client.get(f"{url}/payments", headers=alice).json) == 1
    assert len(of(rt, "crm.customer.payment_received", customer["id"])) == 1
    other = client.post(f"{url}/payments", json={**body, "amount": 20000},
                        headers={**alice, "Idempotency-Key": "retry-1"})
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    assert client.get(url, headers=alice).json["paid_total"] == "30000.00"


def test_a_retried_contract_and_follow_up_are_written_once(org, client, rt):
    customer, alice = org.customer(), org.headers["alice"]
    url = f"/v1/customers/{customer['id']}"
    twice(client, f"{url}/contracts", {"amount": 5000, "start_date": "2025-01-01", "end_date": "2025-06-30"}, alice)
    assert [c["amount"] for c in client.get(f"{url}/contracts", headers=alice).json] == ["5000.00"]
    assert client.get(url, headers=alice).json["order_total"] == "5000.00"
    twice(client, f"{url}/followups", {"channel": "phone", "content": "called", "goal_met": True,
                                       "next_plan": "visit", "next_contact_at": "2030-01-01T09:00:00+00:00"},
          alice, key="call-1")
    assert client.get(url, headers=alice).json["followup_count"] == 1
    assert len(client.get(f"{url}/followups", headers=alice).json["items"]) == 1
    assert len(of(rt, "crm.customer.followed_up", customer["id"])) == 1


def test_a_retried_customer_create_makes_one_customer_and_keys_are_per_user(org, client, rt):
    body = {"name": "Retry Ltd", "contacts": [{"name": "Wang", "phones": [new_phone()]}]}
    first = twice(client, "/v1/customers", body, org.headers["alice"])
    assert first.status_code == 201 and first.headers["ETag"]
    assert rt.db.customers.count_documents({"name": "Retry Ltd"}) == 1
    assert len(outbox_events(rt.db, "crm.customer.created")) == 1
    # bob chose the same key for his own customer: keys are per caller, so it is not a replay of alice's
    bobs = client.post("/v1/customers", json={"name": "Bob Co"}, headers={**org.headers["bob"],
                                                                          "Idempotency-Key": "retry-1"})
    assert bobs.status_code == 201 and bobs.json["id"] != first.json["id"] and bobs.json["name"] == "Bob Co"


def test_retried_org_writes_create_one_user_department_and_team(org, client, rt):
    users_before = rt.db.users.count_documents({})
    user = twice(client, "/v1/users", {"username": "dave", "password": "dave-secret-1", "role": "rep",
                                       "department_id": org.east["id"]}, org.admin).json
    assert rt.db.users.count_documents({}) == users_before + 1 and user["username"] == "dave"
    department = twice(client, "/v1/departments", {"name": "North", "parent_id": org.sales["id"]}, org.admin,
                       key="dep-1").json
    assert rt.db.departments.count_documents({"name": "North"}) == 1 and department["name"] == "North"
    twice(client, "/v1/teams", {"name": "Hunters", "members": [{"user_id": user["id"]}]}, org.admin, key="team-1")
    assert rt.db.teams.count_documents({"name": "Hunters"}) == 1


def test_a_retried_csv_import_creates_each_customer_once(org, client, rt):
    headers = {**org.headers["alice"], "Idempotency-Key": "import-1"}
    csv = b"name,contact_name,phone\nAlpha,Li,13912340001\nBeta,Wu,13912340002\n"
    # multipart: every attempt has a new boundary, yet it is the same request
    first = client.post("/v1/customers:import", data={"file": (io.BytesIO(csv), "a.csv")},
                        headers=headers)
    retry = client.post("/v1/customers:import", data={"file": (io.BytesIO(csv), "a.csv")},
                        headers=headers)
    assert first.status_code == 200 and first.json["created"] == 2, first.json
    assert (retry.status_code, retry.json) == (200, first.json)
    assert rt.db.customers.count_documents({"name": {"$in": ["Alpha", "Beta"]}}) == 2
    changed = client.post("/v1/customers:import", data={"file": (io.BytesIO(csv + b"Gamma,Xu,\n"),
                                                                 "a.csv")}, headers=headers)
    assert changed.status_code == 422


def test_an_import_cut_off_midway_is_finished_by_its_retry_and_reports_every_row(org, client, rt, monkeypatch):
    """The first row commits, then the connection drops: the retry does not import the first row again
    (nor call it a duplicate of itself), imports the rest, and reports both as created."""
    from pymongo.errors import AutoReconnect

    from crm_common.runtime import Runtime
    real, calls = Runtime.transaction, []

    def cut_off_at_the_second_row(self, work):
        calls.append(work)
        if len(calls) == 2:
            monkeypatch.setattr(Runtime, "transaction", real)
            raise AutoReconnect("connection closed")
        return real(self, work)
    monkeypatch.setattr(Runtime, "transaction", cut_off_at_the_second_row)
    headers = {**org.headers["alice"], "Idempotency-Key": "import-cut-1"}
    csv = b"name,contact_name,phone\nAlpha Cut,Li,13912340011\nBeta Cut,Wu,13912340012\n"
    post = lambda: client.post("/v1/customers:import", data={"file": (io.BytesIO(csv), "a.csv")},  # noqa: E731
                               headers=headers)
    assert post().status_code == 503
    assert rt.db.customers.count_documents({"name": {"$in": ["Alpha Cut", "Beta Cut"]}}) == 1
    retry = post()
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    assert (retry.json["created"], retry.json["duplicates"]) == (2, 0)
    made = {c["_id"] for c in rt.db.customers.find({"name": {"$in": ["Alpha Cut", "Beta Cut"]}})}
    assert {r["id"] for r in retry.json["results"]} == made and len(made) == 2


@pytest.mark.parametrize("kind", ["departments", "users"])
def test_a_new_department_or_user_whose_reply_was_lost_is_named_on_retry(client, admin, rt, monkeypatch, kind):
    from pymongo.errors import AutoReconnect

    from crm_common.runtime import Runtime
    real = Runtime.transaction

    def lost(self, work):  # it commits, then the connection drops before the answer is stored
        monkeypatch.setattr(Runtime, "transaction", real)
        real(self, work)
        raise AutoReconnect("connection closed")
    body = {"name": "Lost Reply Dept", "parent_id": None} if kind == "departments" else {
        "username": "lost.reply", "password": "a-long-passphrase-1", "role": "rep"}
    headers = {**admin, "Idempotency-Key": f"lost-{kind}"}
    monkeypatch.setattr(Runtime, "transaction", lost)
    assert client.post(f"/v1/{kind}", json=body, headers=headers).status_code == 503
    retry = client.post(f"/v1/{kind}", json=body, headers=headers)
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    [made] = list(rt.db[kind].find({"name": body["name"]} if kind == "departments" else {"username": "lost.reply"}))
    assert retry.json["id"] == made["_id"]
    assert "password_hash" not in str(rt.db.idempotency_keys.find_one({"_id": {"$regex": f"lost-{kind}$"}}))


def test_a_refused_first_attempt_is_not_remembered(org, client):
    customer, alice = org.customer(), org.headers["alice"]
    headers = {**alice, "Idempotency-Key": "pay-1"}
    url = f"/v1/customers/{customer['id']}/contracts"
    body = {"amount": 1000, "start_date": "2025-01-01", "end_date": "2025-12-31"}
    denied = client.post(url, json=body, headers={**org.headers["carol"], "Idempotency-Key": "pay-1"})
    assert denied.status_code == 404  # carol cannot see alice's customer; nothing was written or kept
    bad = client.post(url, json={**body, "end_date": "2024-01-01"}, headers=headers)
    assert bad.status_code == 400
    fixed = client.post(url, json=body, headers=headers)
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


def test_every_creating_post_documents_the_header(client):
    paths = client.get("/openapi.json").json["paths"]
    posts = {path: ops["post"] for path, ops in paths.items()
             if "post" in ops and path != "/v1/auth/token" and not path.startswith("/v1/dev/")}
    assert {"/v1/customers", "/v1/customers/{customer_id}/payments", "/v1/users", "/v1/customers:import"} <= set(posts)
    for path, operation in posts.items():
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], path
    query = [p["name"] for p in posts["/v1/customers:import"]["parameters"] if p["in"] == "query"]
    assert query == ["owner_id"]  # the route's own parameters are still described
    assert "Idempotency-Key" in str(paths["/v1/pipelines/{pipeline_id}"]["put"]["parameters"])


def test_concurrent_retries_with_one_key_record_one_payment(org, client, rt):
    """Retries racing the first attempt: each gets the first answer or a 409 to try again, never a second write."""
    customer, alice = org.customer(), org.headers["alice"]
    url = f"/v1/customers/{customer['id']}"
    headers = {**alice, "Idempotency-Key": "race-1"}
    body = {"amount": 700, "received_on": "2025-02-01"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.post(f"{url}/payments", json=body, headers=headers), range(8)))
    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.json == created[0].json for a in created)
    assert all(a.status_code == 409 and a.headers["Retry-After"] for a in answers if a.status_code != 201)
    assert client.get(url, headers=alice).json["paid_total"] == "700.00"
    assert len(client.get(f"{url}/payments", headers=alice).json) == 1
    # the same request written another way (keys reordered, spaces) is still the same request
    reordered = client.post(f"{url}/payments", data='{ "received_on": "2025-02-01",  "amount": 700 }',
                            content_type="application/json", headers=headers)
    assert (reordered.status_code, reordered.json) == (201, created[0].json)


CALL = {"channel": "phone", "content": "called", "goal_met": True, "next_plan": "visit",
        "next_contact_at": "2030-01-01T09:00:00+00:00"}


def reply_lost_once(monkeypatch):
    """The work commits, then the connection drops before the answer is stored: every route of this
    family reads the customer's ETag (concurrency.etag_headers) only after its transaction."""
    from pymongo.errors import AutoReconnect

    from crm_common import concurrency
    real_etag = concurrency.etag_headers

    def reply_lost(*args):
        monkeypatch.setattr(concurrency, "etag_headers", real_etag)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(concurrency, "etag_headers", reply_lost)


# (family, url below the customer, body, the collection a second write would add to)
LOST_REPLIES = [
    ("customer", None, {"name": "Lost Reply Co", "contacts": [{"name": "Li", "phones": ["13900139123"]}]},
     "customers"),
    ("contact", "contacts", {"name": "Wu", "phones": ["13900139124"]}, None),
    ("follow-up", "followups", CALL, "followups"),
    ("contract", "contracts", {"amount": 5000, "start_date": "2025-01-01", "end_date": "2025-12-31"}, "contracts"),
    ("payment", "payments", {"amount": 700, "received_on": "2025-02-01"}, "payments"),
]


@pytest.mark.parametrize("family,suffix,body,collection", LOST_REPLIES, ids=[f[0] for f in LOST_REPLIES])
def test_a_retry_after_the_reply_was_lost_past_the_commit_gets_the_first_answer(org, client, rt, monkeypatch,
                                                                               family, suffix, body, collection):
    """The client never heard of the new record: its retry gets the first status and body (the same
    new id, ETag included), and nothing is written twice."""
    customer, alice = org.customer(), org.headers["alice"]
    url = f"/v1/customers/{customer['id']}/{suffix}" if suffix else "/v1/customers"
    before = rt.db[collection].count_documents({}) if collection else None
    reply_lost_once(monkeypatch)
    headers = {**alice, "Idempotency-Key": f"lost-{family}"}
    assert client.post(url, json=body, headers=headers).status_code == 503
    retry = client.post(url, json=body, headers=headers)
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    again = client.post(url, json=body, headers=headers)
    assert (again.status_code, again.json, again.headers["ETag"]) == (201, retry.json, retry.headers["ETag"])
    if collection:
        assert rt.db[collection].count_documents({}) == before + 1
        assert rt.db[collection].find_one({"_id": retry.json["id"]}) is not None  # the id the client now holds
    else:
        assert len(client.get(f"/v1/customers/{customer['id']}", headers=alice).json["contacts"]) == 2
    fresh = client.post(url, json={**body, "name": "Other"} if family == "customer" else body,
                        headers={**alice, "Idempotency-Key": f"lost-{family}-2"})
    assert fresh.status_code in (201, 409)  # another key is another request (a second customer may be a duplicate)


def test_a_retried_follow_up_whose_reply_was_lost_is_recorded_and_published_once(org, client, rt, monkeypatch):
    customer, alice = org.customer(), org.headers["alice"]
    url = f"/v1/customers/{customer['id']}/followups"
    reply_lost_once(monkeypatch)
    headers = {**alice, "Idempotency-Key": "lost-call-1"}
    assert client.post(url, json=CALL, headers=headers).status_code == 503
    retry = client.post(url, json=CALL, headers=headers)
    assert retry.status_code == 201
    assert [f["id"] for f in client.get(url, headers=alice).json["items"]] == [retry.json["id"]]
    assert client.get(f"/v1/customers/{customer['id']}", headers=alice).json["followup_count"] == 1
    assert len(of(rt, "crm.customer.followed_up", customer["id"])) == 1


def test_a_first_attempt_that_failed_before_its_commit_runs_again(org, client, monkeypatch):
    from pymongo.errors import AutoReconnect

    from customer.sales import followups
    customer, alice = org.customer(), org.headers["alice"]
    url, real_record = f"/v1/customers/{customer['id']}/followups", followups.record

    def down(*args, **kwargs):  # the database is unreachable: nothing committed
        monkeypatch.setattr(followups, "record", real_record)
        raise AutoReconnect("connection refused")
    monkeypatch.setattr(followups, "record", down)
    headers, body = {**alice, "Idempotency-Key": "down-1"}, CALL
    assert client.post(url, json=body, headers=headers).status_code == 503
    assert client.post(url, json=body, headers=headers).status_code == 201
    assert client.get(f"/v1/customers/{customer['id']}", headers=alice).json["followup_count"] == 1

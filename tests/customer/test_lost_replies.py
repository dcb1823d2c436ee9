"""Lost replies on the customer's sales moves and the CSV import: the work commits, the connection drops
before the answer is stored; the retry with the same Idempotency-Key gets the first status and body
(ETag included), `Idempotent-Replayed: true`, and nothing is moved, recorded or imported twice."""
import pytest

from crm_common.testing.events import of

from .test_idempotency import reply_lost_once

# (move, url below the customer, body (a function of the organisation), who, the event it publishes once)
MOVES = [
    ("reassign", "owner", lambda org: {"owner_id": org.id("bob")}, "east_manager", "crm.customer.owner_changed"),
    ("transfer", "transfer", lambda org: {"to_user_id": org.id("bob")}, "alice", "crm.customer.owner_changed"),
    ("stage", "stage", lambda org: {"stage": "initial_contact"}, "alice", "crm.customer.stage_changed"),
    ("milestone", "milestones", lambda org: {"milestone": "valuable"}, "alice", "crm.customer.updated"),
    ("mark", "marks", lambda org: {"mark": "no_demand", "reason": "budget frozen"}, "alice",
     "crm.customer.lifecycle_changed"),
]


@pytest.mark.parametrize("move,suffix,body_of,who,event", MOVES, ids=[m[0] for m in MOVES])
def test_a_move_whose_reply_was_lost_is_made_once_and_answered_as_first(org, client, rt, monkeypatch,
                                                                       move, suffix, body_of, who, event):
    customer = org.customer("alice", interest_expressed=True)
    url, body = f"/v1/customers/{customer['id']}/{suffix}", body_of(org)
    before = len(of(rt, event, customer["id"]))
    version = rt.db.customers.find_one({"_id": customer["id"]})["version"]
    reply_lost_once(monkeypatch)
    headers = {**org.headers[who], "Idempotency-Key": f"lost-{move}"}
    assert client.post(url, json=body, headers=headers).status_code == 503
    moved = rt.db.customers.find_one({"_id": customer["id"]})
    assert moved["version"] == version + 1  # the move committed before the reply was lost
    retry = client.post(url, json=body, headers=headers)
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    assert retry.json["version"] == moved["version"] and retry.headers["ETag"]  # not 409: "already moved"
    again = client.post(url, json=body, headers=headers)
    assert (again.status_code, again.json, again.headers["ETag"]) == (200, retry.json, retry.headers["ETag"])
    assert rt.db.customers.find_one({"_id": customer["id"]})["version"] == moved["version"]
    assert len(of(rt, event, customer["id"])) == before + 1


def test_a_csv_import_whose_reply_was_lost_reports_the_customers_it_made(org, client, rt, monkeypatch):
    from pymongo.errors import AutoReconnect

    from customer.imports import csv_io
    real = csv_io.import_rows

    def reply_lost(*args, **kwargs):  # every row commits, then the database restarts before the answer
        monkeypatch.setattr(csv_io, "import_rows", real)
        real(*args, **kwargs)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(csv_io, "import_rows", reply_lost)
    headers = {**org.headers["alice"], "Idempotency-Key": "lost-import-1"}
    csv = b"name,contact_name,phone\nLost Alpha,Li,13912340031\nLost Beta,Wu,13912340032\nLost Bad,Xu,12\n"
    post = lambda: client.post("/v1/customers:import", data=csv, content_type="text/csv",  # noqa: E731
                               headers=headers)
    assert post().status_code == 503
    made = {c["_id"] for c in rt.db.customers.find({"name": {"$regex": "^Lost "}})}
    assert len(made) == 2
    retry = post()
    assert retry.status_code == 200 and retry.headers.get("Idempotent-Replayed") == "true", retry.json
    assert (retry.json["created"], retry.json["duplicates"], retry.json["rejected"]) == (2, 0, 1)  # not duplicates
    assert {r["id"] for r in retry.json["results"] if "id" in r} == made
    assert post().json == retry.json
    assert rt.db.customers.count_documents({"name": {"$regex": "^Lost "}}) == 2
    assert sum(len(of(rt, "crm.customer.created", i)) for i in made) == 2

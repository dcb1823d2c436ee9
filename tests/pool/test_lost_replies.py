"""A retried pool move or pool creation whose first reply was lost past the commit gets the first answer."""
import pytest
from pymongo.errors import AutoReconnect

from crm_common.testing.auth import signed_in

from .conftest import add_customer, add_user, in_pool


def reply_lost_once(monkeypatch, module, name):
    """`module.name` carries its work out (one committed transaction), then the connection drops."""
    real = getattr(module, name)

    def committed_then_lost(*args, **kwargs):
        monkeypatch.setattr(module, name, real)
        real(*args, **kwargs)
        raise AutoReconnect("connection closed")
    monkeypatch.setattr(module, name, committed_then_lost)


def retried(client, url, headers, key, body=None):
    headers = {**headers, "Idempotency-Key": key}
    assert client.post(url, json=body, headers=headers).status_code == 503
    retry = client.post(url, json=body, headers=headers)
    assert retry.headers.get("Idempotent-Replayed") == "true", retry.json
    again = client.post(url, json=body, headers=headers)
    assert (again.status_code, again.json) == (retry.status_code, retry.json)
    return retry


def test_a_retried_claim_whose_reply_was_lost_is_the_claim_it_made(client, rt, monkeypatch):
    from pool.claims import claims
    rep = add_user(rt, "rep-1")
    in_pool(rt, "C1")
    reply_lost_once(monkeypatch, claims, "claim")
    retry = retried(client, "/v1/pools/default/customers/C1/claim", rep, "claim-1")
    assert retry.status_code == 200 and (retry.json["customer_id"], retry.json["owner_id"]) == ("C1", "rep-1")
    assert rt.db.movements.count_documents({"kind": "claim", "customer_id": "C1"}) == 1  # not claimed twice


@pytest.mark.parametrize("move", ["return", "transfer"])
def test_a_retried_return_or_transfer_whose_reply_was_lost_answers_as_the_first(client, rt, monkeypatch, move):
    from pool.movements import returns, transfers
    admin = signed_in(rt)
    if move == "return":
        owner = add_user(rt, "rep-1")
        add_customer(rt, "C1", "rep-1")
        reply_lost_once(monkeypatch, returns, "give_back")
        url, body, headers = "/v1/customers/C1/return", {"reason": "no budget"}, owner
    else:
        other = client.post("/v1/pools", json={"name": "Key accounts"}, headers=admin).json["id"]
        in_pool(rt, "C1")
        reply_lost_once(monkeypatch, transfers, "transfer")
        url, body, headers = "/v1/pools/default/customers/C1/transfer", {"to_pool_id": other}, admin
    retry = retried(client, url, headers, f"{move}-1", body)
    assert retry.status_code == 200 and retry.json["customer_id"] == "C1", retry.json
    assert rt.db.movements.count_documents({"kind": move, "customer_id": "C1"}) == 1


def test_a_retried_pool_creation_whose_reply_was_lost_names_the_one_pool_made(client, rt, monkeypatch):
    from pool.pools import pools
    admin = signed_in(rt)
    reply_lost_once(monkeypatch, pools, "create")
    retry = retried(client, "/v1/pools", admin, "pool-1", {"name": "Lost Reply Pool"})
    assert retry.status_code == 201 and retry.headers["ETag"]
    [made] = list(rt.db.pools.find({"name": "Lost Reply Pool"}))
    assert retry.json["id"] == made["_id"]

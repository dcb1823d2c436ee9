"""python -m customer.migrations.migrate_money: amounts a database holds as floats become exact, once."""
import os
import subprocess
import sys
from datetime import datetime, timezone

from bson.decimal128 import Decimal128

from crm_common.events import validate
from crm_common.testing.events import of, outbox_events
from customer.migrations.migrate_money import migrate

NOW = datetime(2025, 3, 1, tzinfo=timezone.utc)


def seed_floats(rt, customer_id, other_id):
    """What the service wrote before amounts were exact: doubles, with a binary sum's noise."""
    rt.db.customers.update_one({"_id": customer_id}, {"$set": {
        "order_total": 0.30000000000000004, "paid_total": 0.1, "outstanding": 0.20000000000000004,
        "opportunity_total": 0, "qualification": {"qualitative": "valuable", "grade": "large",
                                                  "expected_amount": 600000.5, "by": "x", "at": NOW}}})
    rt.db.contracts.insert_one({"_id": "K1", "customer_id": customer_id, "title": None, "amount": 0.30000000000000004,
                                "paid": 0.1, "start_date": "2025-01-01", "end_date": "2025-12-31", "signed_at": NOW})
    rt.db.payments.insert_one({"_id": "P1", "customer_id": customer_id, "contract_id": "K1", "amount": 0.1,
                               "received_on": "2025-02-01", "recorded_at": NOW})
    rt.db.deleted_customers.insert_one({"_id": other_id, "order_total": 12.5, "paid_total": 2, "outstanding": 10.5})
    # The event log: a sent contract_signed with JSON numbers, as a replay would publish it again.
    event = rt.event("crm.customer.contract_signed", customer_id, {
        **outbox_events(rt.db, "crm.customer.created")[0]["data"], "contract_id": "K1", "title": None,
        "amount": "0.30", "start_date": "2025-01-01", "end_date": "2025-12-31", "order_total": "0.30", "by": "x",
        "signed_at": NOW.isoformat()})
    event["data"].update(amount=0.30000000000000004, order_total=0.30000000000000004)
    rt.db.outbox.insert_one({"_id": event["id"], "type": event["type"], "status": "sent", "event": event})


def test_floats_become_decimal128_and_the_totals_agree_exactly(org, client, rt, servers):
    old = org.customer("alice")
    exact = org.customer("alice", name="Exact Ltd")  # written by today's service: left as it is
    url, alice = f"/v1/customers/{old['id']}", org.headers["alice"]
    client.post(f"/v1/customers/{exact['id']}/payments", headers=alice,
                json={"amount": "5", "received_on": "2025-01-01"})
    seed_floats(rt, old["id"], "gone")
    untouched = rt.db.customers.find_one({"_id": exact["id"]})

    counts = migrate(rt.db)
    assert counts == {"customers": 1, "deleted_customers": 1, "contracts": 1, "payments": 1, "outbox": 1,
                      "contracts_approved": 1, "customers_invoicing": 1}
    stored = rt.db.customers.find_one({"_id": old["id"]})
    assert [stored[k] for k in ("order_total", "paid_total", "outstanding", "opportunity_total")] == [
        Decimal128("0.30"), Decimal128("0.10"), Decimal128("0.20"), Decimal128("0.00")]
    assert stored["qualification"]["expected_amount"] == Decimal128("600000.50")
    assert rt.db.contracts.find_one({"_id": "K1"})["amount"] == Decimal128("0.30")
    assert rt.db.payments.find_one({"_id": "P1"})["amount"] == Decimal128("0.10")
    assert rt.db.deleted_customers.find_one({"_id": "gone"})["outstanding"] == Decimal128("10.50")
    assert rt.db.customers.find_one({"_id": exact["id"]}) == untouched
    [logged] = of(rt, "crm.customer.contract_signed", old["id"])
    assert (logged["data"]["amount"], logged["data"]["order_total"]) == ("0.30", "0.30")
    validate(logged)  # a replay passes today's contract

    # The command again, as an operator runs it: nothing is left to change.
    before = {name: list(rt.db[name].find().sort("_id", 1)) for name in ("customers", "contracts", "payments",
                                                                         "deleted_customers", "outbox")}
    env = {**os.environ, "MONGO_URI": servers.mongo_uri, "CRM_ENV": "test"}
    run = subprocess.run([sys.executable, "-m", "customer.migrations.migrate_money"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "'customers': 0" in run.stderr and "'outbox': 0" in run.stderr
    assert {name: list(rt.db[name].find().sort("_id", 1)) for name in before} == before

    # The migrated customer works on exactly: the 0.20 left on the contract is paid to the fen.
    shown = client.get(url, headers=alice).json
    assert (shown["order_total"], shown["paid_total"], shown["outstanding"]) == ("0.30", "0.10", "0.20")
    assert client.post(f"{url}/payments", headers=alice, json={"amount": 0.2, "received_on": "2025-03-01",
                                                               "contract_id": "K1"}).status_code == 201
    [contract] = client.get(f"{url}/contracts", headers=alice).json
    assert (contract["paid"], contract["unpaid"]) == ("0.30", "0.00")
    shown = client.get(url, headers=alice).json
    assert (shown["paid_total"], shown["outstanding"]) == ("0.30", "0.00")

"""python -m customer.migrations.make_opportunities: customers stored before opportunities get their first
deal, made of their stage, qualification, stage history and contracts, once."""
import os
import subprocess
import sys
from datetime import datetime, timezone

from bson.decimal128 import Decimal128

from crm_common.events import validate
from crm_common.testing.events import of
from customer.migrations.make_opportunities import migrate

NOW = datetime(2025, 3, 1, tzinfo=timezone.utc)
BEFORE = ("open_opportunities", "pipeline_amount", "won_amount", "primary_opportunity_id")


def as_stored_before(rt, customer_id, **fields):
    """A customer as the release before opportunities left it: the deal's state on the customer itself."""
    rt.db.customers.update_one({"_id": customer_id}, {"$set": {"stage_entered_at": NOW, **fields},
                                                      "$unset": {k: "" for k in BEFORE}})


def test_each_stored_customer_gets_its_first_deal_once(org, client, rt, servers):
    working, lost, fresh = (org.customer("alice", name=n)["id"] for n in ("Working", "Lost", "Fresh"))
    as_stored_before(rt, working, stage="negotiation", interest_expressed=True, needs="CRM", needs_matched=True,
                     qualification={"qualitative": "valuable", "grade": "large", "expected_amount": Decimal128("600000.00"),
                                    "expected_sign_date": "2025-06-30", "by": "x", "at": NOW}, contract_count=1)
    as_stored_before(rt, lost, stage="lost", loss_reason="price")
    rt.db.contracts.insert_one({"_id": "K1", "customer_id": working, "amount": Decimal128("120000.50"),
                                "paid": Decimal128("0"), "start_date": "2025-01-01", "end_date": "2025-12-31"})
    rt.db.stage_history.insert_many([
        {"_id": "H1", "customer_id": working, "from": "lead_acquired", "to": "proposal", "by": "x", "at": NOW},
        {"_id": "H2", "customer_id": working, "from": "proposal", "to": "negotiation", "by": "x", "at": NOW}])

    assert migrate(rt.db, NOW) == {"customers": 2, "opportunities": 2, "contracts": 1, "stage_history": 2}
    alice = org.headers["alice"]
    [deal] = client.get("/v1/opportunities", query_string={"customer_id": working}, headers=alice).json["items"]
    assert (deal["stage"], deal["status"], deal["amount"], deal["contract_count"]) == (
        "negotiation", "open", "120000.50", 1)
    assert (deal["grade"], deal["expected_amount"], deal["needs"], deal["owner_id"]) == (
        "large", "600000.00", "CRM", org.id("alice"))
    history = client.get(f"/v1/opportunities/{deal['id']}/stage-history", headers=alice).json
    assert [h["to"] for h in history] == ["proposal", "negotiation"]
    assert rt.db.contracts.find_one({"_id": "K1"})["opportunity_id"] == deal["id"]
    shown = client.get(f"/v1/customers/{working}", headers=alice).json
    assert (shown["open_opportunities"], shown["pipeline_amount"], shown["primary_opportunity_id"]) == (
        1, "120000.50", deal["id"])
    [closed] = client.get("/v1/opportunities", query_string={"customer_id": lost}, headers=alice).json["items"]
    assert (closed["status"], closed["loss_reason"]) == ("lost", "price")
    assert client.get("/v1/opportunities", query_string={"customer_id": fresh}, headers=alice).json["items"] == []
    [event] = of(rt, "crm.opportunity.created", deal["id"])
    validate(event)
    assert event["partitionkey"] == working and event["data"]["stage"] == "negotiation"

    # The command again, as an operator runs it: nothing is made twice.
    kept = {name: list(rt.db[name].find().sort("_id", 1)) for name in ("customers", "opportunities", "contracts",
                                                                        "stage_history", "outbox")}
    env = {**os.environ, "MONGO_URI": servers.mongo_uri, "CRM_ENV": "test"}
    run = subprocess.run([sys.executable, "-m", "customer.migrations.make_opportunities"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "'customers': 0" in run.stderr and "'stage_history': 0" in run.stderr and "made or linked in" in run.stderr
    assert {name: list(rt.db[name].find().sort("_id", 1)) for name in kept} == kept

    # An old client's stage call now moves the migrated deal
    moved = client.post(f"/v1/customers/{working}/stage", json={"stage": "lost", "loss_reason": "budget"},
                        headers=alice)
    assert moved.status_code == 200 and moved.headers["Link"] == f'</v1/opportunities/{deal["id"]}>; rel="successor-version"'
    assert client.get(f"/v1/opportunities/{deal['id']}", headers=alice).json["status"] == "lost"

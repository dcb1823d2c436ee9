"""Contracts are approved before they count (DOMAIN §2, 合同审批): above the threshold the owner's
department manager approves, above the second an admin too; every decision is kept and published."""
from datetime import date, timedelta

from crm_common.testing.events import data_of
from customer.contracts import activation

INVOICE = {"title": "Acme Ltd", "tax_id": "91330000X"}


def _deal(org, client, **fields):
    customer = org.customer("alice", **fields)
    deal = client.post(f"/v1/customers/{customer['id']}/opportunities", json={"name": "First order"},
                       headers=org.headers["alice"])
    assert deal.status_code == 201, deal.json
    return customer["id"], deal.json["id"]


def _contract(client, headers, deal_id, amount, **extra):
    return client.post(f"/v1/opportunities/{deal_id}/contracts", headers=headers,
                       json={"amount": amount, "start_date": "2026-01-01", "end_date": "2030-12-31", **extra})


def _customer(client, org, customer_id):
    return client.get(f"/v1/customers/{customer_id}", headers=org.headers["alice"]).json


def test_a_contract_above_the_threshold_changes_nothing_until_its_manager_approves(org, client, rt):
    customer_id, deal_id = _deal(org, client)
    made = _contract(client, org.headers["alice"], deal_id, 200000, title="Licence")
    assert made.status_code == 201, made.json
    contract = made.json
    assert contract["status"] == "pending_approval" and contract["awaiting"]["step"] == "manager"
    before = _customer(client, org, customer_id)
    assert (before["order_total"], before["outstanding"], before["lifecycle"]) == ("0.00", "0.00", "potential")
    assert client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).json["contract_count"] == 0
    assert data_of(rt, "crm.customer.contract_signed", customer_id) == []  # no renewal reminder yet
    paid = client.post(f"/v1/customers/{customer_id}/payments", headers=org.headers["alice"], json={
        "amount": 1, "received_on": "2025-02-01", "contract_id": contract["id"]})
    assert paid.status_code == 409  # nothing is paid on a contract not approved

    # the rep herself, and the manager above her manager, are not its approver
    for who in ("alice", "boss"):
        refused = client.post(f"/v1/contracts/{contract['id']}/approve", json={}, headers=org.headers[who])
        assert refused.status_code == 403, (who, refused.json)
    assert client.get(f"/v1/approvals", headers=org.headers["alice"]).json["items"] == []
    [waiting] = client.get("/v1/approvals", headers=org.headers["east_manager"]).json["items"]
    assert waiting["id"] == contract["id"]

    approved = client.post(f"/v1/contracts/{contract['id']}/approve", json={"comment": "fine"},
                           headers=org.headers["east_manager"])
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "active"  # it started already: in force at once
    decisions = [(d["decision"], d.get("step"), d["by"], d["comment"]) for d in approved.json["decisions"]]
    assert decisions == [("submitted", None, org.id("alice"), None),
                         ("approved", "manager", org.id("east_manager"), "fine")]
    after = _customer(client, org, customer_id)
    assert (after["order_total"], after["outstanding"], after["lifecycle"]) == ("200000.00", "200000.00", "signed")
    [signed] = data_of(rt, "crm.customer.contract_signed", customer_id)
    assert (signed["contract_id"], signed["amount"], signed["end_date"]) == (contract["id"], "200000.00", "2030-12-31")
    [event] = data_of(rt, "crm.contract.approved", contract["id"])
    assert (event["by"], event["comment"], event["final"], event["customer_id"]) == (
        org.id("east_manager"), "fine", True, customer_id)
    assert data_of(rt, "crm.contract.activated", contract["id"])
    assert client.get("/v1/approvals", headers=org.headers["east_manager"]).json["items"] == []
    # the deal lacks its other conditions: the approval stands, the deal keeps its stage and the contract says why
    move = approved.json["stage_move"]
    assert (move["opportunity_id"], move["to"], move["moved"]) == (deal_id, "contract_signed", False)
    assert "invoice_info" in [m["condition"] for m in move["missing_conditions"]]
    assert client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).json["status"] == "open"
    # the approved contract meets the deal's contract condition: it can be won
    client.patch(f"/v1/customers/{customer_id}", json={"invoice_info": INVOICE},
                 headers={**org.headers["alice"], "If-Match": client.get(
                     f"/v1/customers/{customer_id}", headers=org.headers["alice"]).headers["ETag"]})
    ready = {"interest_expressed": True, "needs": "CRM", "needs_matched": True, "proposal_url": "q.pdf",
             "terms_agreed": True}
    etag = client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).headers["ETag"]
    assert client.patch(f"/v1/opportunities/{deal_id}", json=ready,
                        headers={**org.headers["alice"], "If-Match": etag}).status_code == 200
    won = client.post(f"/v1/opportunities/{deal_id}/stage", json={"stage": "contract_signed"},
                      headers=org.headers["alice"])
    assert won.status_code == 200 and won.json["status"] == "won", won.json


def test_a_pending_contract_does_not_meet_the_contract_condition(org, client):
    customer_id, deal_id = _deal(org, client, invoice_info=INVOICE)
    ready = {"interest_expressed": True, "needs": "CRM", "needs_matched": True, "proposal_url": "q.pdf",
             "terms_agreed": True}
    etag = client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).headers["ETag"]
    client.patch(f"/v1/opportunities/{deal_id}", json=ready, headers={**org.headers["alice"], "If-Match": etag})
    assert _contract(client, org.headers["alice"], deal_id, 150000).json["status"] == "pending_approval"
    refused = client.post(f"/v1/opportunities/{deal_id}/stage", json={"stage": "contract_signed"},
                          headers=org.headers["alice"])
    assert refused.status_code == 409
    assert [m["condition"] for m in refused.json["missing_conditions"]] == ["contract_attached"]


def test_at_or_below_the_threshold_a_contract_is_approved_at_once_and_counts(org, client, rt):
    customer_id, deal_id = _deal(org, client)
    made = _contract(client, org.headers["alice"], deal_id, "100000.00")
    assert made.status_code == 201 and made.json["status"] == "active", made.json
    assert [d["decision"] for d in made.json["decisions"]] == ["submitted", "approved"]
    assert made.json["decisions"][1]["automatic"] is True
    assert _customer(client, org, customer_id)["order_total"] == "100000.00"
    # the old route attaches to the primary deal, under the same rules
    old = client.post(f"/v1/customers/{customer_id}/contracts", headers=org.headers["alice"],
                      json={"amount": 300000, "start_date": "2026-01-01", "end_date": "2030-12-31"})
    assert old.status_code == 201 and (old.json["status"], old.json["opportunity_id"]) == ("pending_approval", deal_id)
    assert _customer(client, org, customer_id)["order_total"] == "100000.00"
    [submitted] = data_of(rt, "crm.contract.submitted", old.json["id"])
    assert submitted["awaiting"]["approver_ids"] == [org.id("east_manager")]


def test_above_the_second_amount_an_admin_approves_after_the_manager(org, client, rt):
    customer_id, deal_id = _deal(org, client)
    contract = _contract(client, org.headers["alice"], deal_id, 1500000).json
    assert contract["steps"] == ["manager", "admin"]
    assert client.post(f"/v1/contracts/{contract['id']}/approve", json={}, headers=org.admin).status_code == 403
    first = client.post(f"/v1/contracts/{contract['id']}/approve", json={}, headers=org.headers["east_manager"])
    assert first.json["status"] == "pending_approval" and first.json["awaiting"]["step"] == "admin"
    assert _customer(client, org, customer_id)["order_total"] == "0.00"
    again = client.post(f"/v1/contracts/{contract['id']}/approve", json={}, headers=org.headers["east_manager"])
    assert again.status_code == 403  # the manager's step is done; the admin's is not theirs
    assert [c["id"] for c in client.get("/v1/approvals", headers=org.admin).json["items"]] == [contract["id"]]
    final = client.post(f"/v1/contracts/{contract['id']}/approve", json={"comment": "big one"}, headers=org.admin)
    assert final.status_code == 200 and final.json["status"] == "active"
    assert [(e["step"], e["final"]) for e in data_of(rt, "crm.contract.approved", contract["id"])] == [
        ("manager", False), ("admin", True)]
    assert _customer(client, org, customer_id)["order_total"] == "1500000.00"


def test_a_rejection_needs_a_comment_and_the_contract_never_counts(org, client, rt):
    customer_id, deal_id = _deal(org, client)
    contract = _contract(client, org.headers["alice"], deal_id, 250000).json
    bare = client.post(f"/v1/contracts/{contract['id']}/reject", json={}, headers=org.headers["east_manager"])
    assert bare.status_code == 400 and bare.json["errors"][0]["field"] == "comment"
    assert client.post(f"/v1/contracts/{contract['id']}/reject", json={"comment": "no"},
                       headers=org.headers["alice"]).status_code == 403
    rejected = client.post(f"/v1/contracts/{contract['id']}/reject", json={"comment": "price too low"},
                           headers=org.headers["east_manager"])
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert rejected.json["decisions"][-1]["comment"] == "price too low"
    [event] = data_of(rt, "crm.contract.rejected", contract["id"])
    assert (event["comment"], event["by"]) == ("price too low", org.id("east_manager"))
    late = client.post(f"/v1/contracts/{contract['id']}/approve", json={}, headers=org.headers["east_manager"])
    assert late.status_code == 409 and _customer(client, org, customer_id)["order_total"] == "0.00"


def test_a_draft_is_submitted_later_and_a_future_contract_becomes_active_on_its_start_date(org, client, rt):
    _, deal_id = _deal(org, client)
    draft = _contract(client, org.headers["alice"], deal_id, 5000, draft=True, start_date="2099-01-01",
                      end_date="2099-12-31").json
    assert draft["status"] == "draft" and draft["decisions"] == []
    submitted = client.post(f"/v1/contracts/{draft['id']}/submit", headers=org.headers["alice"])
    assert submitted.status_code == 200 and submitted.json["status"] == "approved", submitted.json
    assert client.post(f"/v1/contracts/{draft['id']}/submit", headers=org.headers["alice"]).status_code == 409
    assert activation.run(rt) == 0 and not data_of(rt, "crm.contract.activated", draft["id"])
    rt.clock.set_offset(date(2099, 6, 1) - rt.clock.now().date())
    try:
        assert activation.run(rt) >= 1
        assert client.get(f"/v1/contracts/{draft['id']}", headers=org.headers["alice"]).json["status"] == "active"
        assert data_of(rt, "crm.contract.activated", draft["id"])
    finally:
        rt.clock.set_offset(timedelta(0))


def test_thresholds_are_configuration_with_if_match_and_audit(org, client):
    read = client.get("/v1/settings/contract-approval", headers=org.admin)
    assert read.status_code == 200 and read.json == {"manager_above": "100000.00", "admin_above": "1000000.00"}
    assert read.headers["ETag"] == '"0"'
    body = {"manager_above": 300000}
    assert client.put("/v1/settings/contract-approval", json=body, headers=org.admin).status_code == 428
    assert client.put("/v1/settings/contract-approval", json=body,
                      headers={**org.headers["east_manager"], "If-Match": '"0"'}).status_code == 403
    changed = client.put("/v1/settings/contract-approval", json=body, headers={**org.admin, "If-Match": '"0"'})
    assert changed.status_code == 200 and changed.json["manager_above"] == "300000.00"
    bad = client.put("/v1/settings/contract-approval", json={"admin_above": 1000},
                     headers={**org.admin, "If-Match": changed.headers["ETag"]})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "admin_above"
    (row,) = client.get("/v1/audit?kind=contract_approval", headers=org.admin).json["items"]
    assert (row["before"]["manager_above"], row["after"]["manager_above"]) == ("100000.00", "300000.00")
    _, deal_id = _deal(org, client)
    assert _contract(client, org.headers["alice"], deal_id, 200000).json["status"] == "active"


def test_contracts_stored_before_approval_existed_count_as_approved_once_migrated(org, client, rt):
    from bson.decimal128 import Decimal128

    from customer.migrations.approve_contracts import migrate

    customer_id, deal_id = _deal(org, client, invoice_info=INVOICE)
    for number, (start, end) in enumerate((("2026-01-01", "2030-12-31"), ("2024-01-01", "2024-12-31"))):
        rt.db.contracts.insert_one({"_id": f"OLD{number}", "customer_id": customer_id, "opportunity_id": deal_id,
                                    "amount": Decimal128("500000.00"), "paid": Decimal128("0.00"),
                                    "start_date": start, "end_date": end, "signed_at": rt.clock.now()})
    first = migrate(rt.db)
    assert first["contracts_approved"] == 2
    assert migrate(rt.db) == {"contracts_approved": 0, "customers_invoicing": 0}  # a second run changes nothing
    alice = org.headers["alice"]
    shown = {c["id"]: c["status"] for c in client.get(f"/v1/customers/{customer_id}/contracts", headers=alice).json}
    assert shown == {"OLD0": "active", "OLD1": "expired"}
    invoiced = client.post("/v1/contracts/OLD0/invoices", headers=alice,
                           json={"number": "MIG-1", "type": "normal", "tax_rate": "0.06", "amount": "1000.00"})
    assert invoiced.status_code == 201, invoiced.json
    paid = client.post(f"/v1/customers/{customer_id}/payments", headers=alice,
                       json={"amount": 100, "received_on": "2026-02-01", "contract_id": "OLD0"})
    assert paid.status_code == 201, paid.json


READY = {"interest_expressed": True, "needs": "CRM", "needs_matched": True, "proposal_url": "q.pdf",
         "terms_agreed": True}


def _ready_deal(org, client):
    customer_id, deal_id = _deal(org, client, invoice_info=INVOICE)
    etag = client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).headers["ETag"]
    assert client.patch(f"/v1/opportunities/{deal_id}", json=READY,
                        headers={**org.headers["alice"], "If-Match": etag}).status_code == 200
    return customer_id, deal_id


def test_the_last_approval_wins_the_deal_with_the_approver_as_actor(org, client, rt):
    customer_id, deal_id = _ready_deal(org, client)
    contract = _contract(client, org.headers["alice"], deal_id, 200000).json
    assert client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).json["status"] == "open"
    approved = client.post(f"/v1/contracts/{contract['id']}/approve", json={}, headers=org.headers["east_manager"])
    assert approved.json["stage_move"] == {"opportunity_id": deal_id, "to": "contract_signed", "moved": True,
                                           "missing_conditions": []}
    deal = client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).json
    assert (deal["stage"], deal["status"], deal["contract_count"]) == ("contract_signed", "won", 1)
    # nobody priced the deal: it is worth what was signed
    assert (deal["amount"], deal["amount_source"]) == ("200000.00", {"kind": "contract", "contract_id": contract["id"]})
    [row] = client.get(f"/v1/opportunities/{deal_id}/stage-history", headers=org.headers["alice"]).json
    assert (row["from"], row["to"], row["by"]) == ("lead_acquired", "contract_signed", org.id("east_manager"))
    [changed] = data_of(rt, "crm.opportunity.stage_changed", deal_id)
    assert (changed["to"], changed["by"], changed["status"]) == ("contract_signed", org.id("east_manager"), "won")
    assert data_of(rt, "crm.opportunity.won", deal_id)[0]["by"] == org.id("east_manager")
    [won] = data_of(rt, "crm.customer.won", customer_id)
    assert won["order_total"] == "200000.00"  # the contract that won it is in the total
    customer = _customer(client, org, customer_id)
    assert (customer["stage"], customer["lifecycle"], customer["won_amount"], customer["open_opportunities"]) == (
        "contract_signed", "signed", "200000.00", 0)
    # a client that moves the stage itself after the contract, as before, finds it done
    again = client.post(f"/v1/opportunities/{deal_id}/stage", json={"stage": "contract_signed"},
                        headers=org.headers["alice"])
    assert again.status_code == 200 and again.json["status"] == "won", again.json
    old = client.post(f"/v1/customers/{customer_id}/stage", json={"stage": "contract_signed"},
                      headers=org.headers["alice"])
    assert old.status_code == 200 and old.json["stage"] == "contract_signed", old.json
    assert len(data_of(rt, "crm.opportunity.stage_changed", deal_id)) == 1


def test_a_contract_on_the_old_route_approved_at_once_wins_the_primary_deal(org, client, rt):
    customer_id, deal_id = _ready_deal(org, client)
    made = client.post(f"/v1/customers/{customer_id}/contracts", headers=org.headers["alice"],
                       json={"amount": 50000, "start_date": "2026-01-01", "end_date": "2030-12-31"})
    assert made.status_code == 201 and (made.json["status"], made.json["opportunity_id"]) == ("active", deal_id)
    assert made.json["stage_move"]["moved"] is True
    assert data_of(rt, "crm.opportunity.won", deal_id)[0]["by"] == org.id("alice")  # approved at once: hers


def test_a_rejected_contract_never_wins_its_deal(org, client, rt):
    customer_id, deal_id = _ready_deal(org, client)
    contract = _contract(client, org.headers["alice"], deal_id, 200000).json
    rejected = client.post(f"/v1/contracts/{contract['id']}/reject", json={"comment": "no"},
                           headers=org.headers["east_manager"])
    assert rejected.status_code == 200 and "stage_move" not in rejected.json
    deal = client.get(f"/v1/opportunities/{deal_id}", headers=org.headers["alice"]).json
    assert (deal["stage"], deal["status"], deal["contract_count"]) == ("lead_acquired", "open", 0)
    assert data_of(rt, "crm.opportunity.won", deal_id) == [] and data_of(rt, "crm.customer.won", customer_id) == []


def test_deleting_a_customer_withdraws_its_open_quotes_and_undecided_contracts_and_keeps_the_rest(org, client, rt):
    customer_id, deal_id = _deal(org, client)
    alice = org.headers["alice"]
    quote = {"lines": [{"description": "Licence", "quantity": 1, "unit_price": 1000}], "valid_until": "2099-12-31"}
    draft, sent = (client.post(f"/v1/opportunities/{deal_id}/quotes", json=quote, headers=alice).json
                   for _ in range(2))
    assert client.post(f"/v1/quotes/{sent['id']}/send", headers=alice).status_code == 200
    counted = _contract(client, alice, deal_id, 5000).json
    pending = _contract(client, alice, deal_id, 200000).json
    assert [c["id"] for c in client.get("/v1/approvals", headers=org.headers["east_manager"]).json["items"]] == [
        pending["id"]]
    assert client.delete(f"/v1/customers/{customer_id}", headers=alice).status_code == 204
    assert client.get("/v1/approvals", headers=org.headers["east_manager"]).json["items"] == []
    quotes = {q["_id"]: q for q in rt.db.quotes.find({"customer_id": customer_id})}
    assert {q["status"] for q in quotes.values()} == {"withdrawn"}
    assert quotes[sent["id"]]["withdrawn_reason"] == "customer_deleted"
    kept = {c["_id"]: c for c in rt.db.contracts.find({"customer_id": customer_id})}
    assert kept[counted["id"]]["status"] == "active"  # its history stays as it was
    assert [d["decision"] for d in kept[counted["id"]]["decisions"]] == ["submitted", "approved"]
    assert kept[pending["id"]]["status"] == "withdrawn" and kept[pending["id"]]["awaiting"] is None
    assert [d["decision"] for d in kept[pending["id"]]["decisions"]] == ["submitted", "withdrawn"]

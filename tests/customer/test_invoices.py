"""Invoices (发票) against an approved contract: amounts with and without tax, exact; the buyer from the
customer's invoice info; numbers unique; never more than the contract; voided only by a red-letter invoice
(红冲) that names it; the contract and the customer show what is invoiced and what is not yet."""
import itertools
from decimal import Decimal

import pytest

from crm_common.testing.events import data_of
from customer.contracts.invoices import split

INVOICE_INFO = {"title": "Acme Ltd", "tax_id": "91330000MA27XYZ"}
_names = itertools.count(1)


@pytest.mark.parametrize("amount, rate, without, tax", [
    ("113.00", "0.13", "100.00", "13.00"), ("100.00", "0.13", "88.50", "11.50"), ("0.01", "0.06", "0.01", "0.00"),
    ("10000.00", "0", "10000.00", "0.00")])
def test_the_amount_with_tax_splits_exactly_into_without_tax_and_tax(amount, rate, without, tax):
    assert split(amount, Decimal(rate)) == (Decimal(without), Decimal(tax))


def _contract(org, client, amount=50000, **customer):
    made = org.customer("alice", name=f"Buyer {next(_names)} Ltd", **customer)
    contract = client.post(f"/v1/customers/{made['id']}/contracts", headers=org.headers["alice"],
                           json={"amount": amount, "start_date": "2026-01-01", "end_date": "2030-12-31"})
    assert contract.status_code == 201, contract.json
    return made["id"], contract.json


def _issue(client, headers, contract_id, number, amount, **extra):
    return client.post(f"/v1/contracts/{contract_id}/invoices", headers=headers,
                       json={"number": number, "type": "special", "tax_rate": "0.13", "amount": amount, **extra})


def test_an_invoice_copies_the_buyer_and_the_totals_show_what_is_not_yet_invoiced(org, client, rt):
    customer_id, contract = _contract(org, client, invoice_info=INVOICE_INFO)
    alice = org.headers["alice"]
    issued = _issue(client, alice, contract["id"], "No.0001", "11300.00")
    assert issued.status_code == 201, issued.json
    invoice = issued.json
    assert (invoice["amount"], invoice["amount_without_tax"], invoice["tax"]) == ("11300.00", "10000.00", "1300.00")
    assert (invoice["buyer_title"], invoice["buyer_tax_id"], invoice["status"]) == (
        "Acme Ltd", "91330000MA27XYZ", "issued")
    shown = client.get(f"/v1/contracts/{contract['id']}", headers=alice).json
    assert (shown["invoiced"], shown["uninvoiced"]) == ("11300.00", "38700.00")
    customer = client.get(f"/v1/customers/{customer_id}", headers=alice).json
    assert (customer["invoiced_total"], customer["uninvoiced_total"]) == ("11300.00", "38700.00")
    [event] = data_of(rt, "crm.invoice.issued", invoice["id"])
    assert (event["customer_id"], event["amount"], event["tax"]) == (customer_id, "11300.00", "1300.00")

    taken = _issue(client, alice, contract["id"], "No.0001", "1.00")
    assert taken.status_code == 409 and taken.json["errors"][0]["field"] == "number"
    over = _issue(client, alice, contract["id"], "No.0002", "38700.01")
    assert over.status_code == 409 and over.json["errors"][0]["field"] == "amount"
    bad = _issue(client, alice, contract["id"], "No.0003", "1.00", type="vat", tax_rate=2)
    assert bad.status_code == 400 and {e["field"] for e in bad.json["errors"]} == {"type", "tax_rate"}
    assert _issue(client, alice, contract["id"], "No.0002", "38700.00").status_code == 201
    listed = client.get(f"/v1/contracts/{contract['id']}/invoices", headers=alice).json
    assert [i["number"] for i in listed] == ["No.0001", "No.0002"]


def test_a_red_letter_invoice_voids_one_and_names_it(org, client, rt):
    customer_id, contract = _contract(org, client, invoice_info=INVOICE_INFO)
    alice = org.headers["alice"]
    invoice = _issue(client, alice, contract["id"], "No.0100", "20000.00").json
    no_reason = client.post(f"/v1/invoices/{invoice['id']}/void", json={}, headers=alice)
    assert no_reason.status_code == 400 and no_reason.json["errors"][0]["field"] == "reason"
    voided = client.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "wrong title", "number": "No.0101"},
                         headers=alice)
    assert voided.status_code == 200, voided.json
    assert voided.json["status"] == "voided" and voided.json["void_reason"] == "wrong title"
    original, red = client.get(f"/v1/contracts/{contract['id']}/invoices", headers=alice).json
    assert (red["kind"], red["reverses"], red["amount"], red["number"]) == ("red", invoice["id"], "-20000.00",
                                                                            "No.0101")
    assert original["voided_by"] == red["id"]
    shown = client.get(f"/v1/contracts/{contract['id']}", headers=alice).json
    assert (shown["invoiced"], shown["uninvoiced"]) == ("0.00", "50000.00")
    assert client.get(f"/v1/customers/{customer_id}", headers=alice).json["invoiced_total"] == "0.00"
    [event] = data_of(rt, "crm.invoice.voided", invoice["id"])
    assert (event["red_invoice_id"], event["reason"], event["status"]) == (red["id"], "wrong title", "voided")
    again = client.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "twice"}, headers=alice)
    assert again.status_code == 409


def test_a_payment_may_name_the_invoice_it_settles(org, client):
    customer_id, contract = _contract(org, client, invoice_info=INVOICE_INFO)
    alice = org.headers["alice"]
    invoice = _issue(client, alice, contract["id"], "No.0200", "10000.00").json
    url = f"/v1/customers/{customer_id}/payments"
    paid = client.post(url, headers=alice,
                       json={"amount": 4000, "received_on": "2026-02-01", "invoice_id": invoice["id"]})
    assert paid.status_code == 201 and paid.json["contract_id"] == contract["id"], paid.json
    assert client.get(f"/v1/contracts/{contract['id']}", headers=alice).json["paid"] == "4000.00"
    over = client.post(url, headers=alice, json={"amount": 6000.01, "received_on": "2026-02-01",
                                                 "invoice_id": invoice["id"]})
    assert over.status_code == 409 and over.json["errors"][0]["field"] == "amount"
    unknown = client.post(url, headers=alice, json={"amount": 1, "received_on": "2026-02-01", "invoice_id": "nope"})
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "invoice_id"
    settled = client.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "late"}, headers=alice)
    assert settled.status_code == 409  # a paid invoice stays


def test_no_invoice_without_the_buyer_or_before_approval(org, client):
    _, contract = _contract(org, client)
    missing = _issue(client, org.headers["alice"], contract["id"], "No.0300", "1.00")
    assert missing.status_code == 409 and missing.json["errors"][0]["field"] == "invoice_info"
    _, pending = _contract(org, client, amount=500000, invoice_info=INVOICE_INFO)
    assert pending["status"] == "pending_approval"
    assert _issue(client, org.headers["alice"], pending["id"], "No.0301", "1.00").status_code == 409
    assert _issue(client, org.headers["carol"], pending["id"], "No.0302", "1.00").status_code == 404


def test_a_new_customer_shows_nothing_invoiced(org, client):
    made = org.customer("alice", name=f"Buyer {next(_names)} Ltd")
    shown = client.get(f"/v1/customers/{made['id']}", headers=org.headers["alice"]).json
    assert (shown["invoiced_total"], shown["uninvoiced_total"]) == ("0.00", "0.00")

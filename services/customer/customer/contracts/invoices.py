"""Invoices (发票, DOMAIN §2) against an approved contract: 普票 (`normal`) or 专票 (`special`), the amount
with tax split exactly into the amount without tax and the tax, the buyer's title and tax id copied from the
customer's invoice info. A red-letter invoice (红冲) voids one: it names the invoice it reverses and carries
its amounts negated. The contract and the customer keep what is invoiced and what is not yet."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict, NotFound
from crm_common.paging import new_id

from ..customers import customers
from . import approval, contracts

TYPES = ("normal", "special")


def split(amount, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(without tax, tax) of an amount with tax, to the fen; the two add up to the amount exactly."""
    amount = money.exact(amount)
    without = (amount / (1 + tax_rate)).quantize(money.CENT, rounding=ROUND_HALF_UP)
    return without, amount - without


def issue(rt, contract_id: str, body: dict, *, by: str, scope: dict) -> dict:
    invoice = {"_id": new_id(), "kind": "blue", "status": "issued", "number": body["number"], "type": body["type"],
               "tax_rate": str(body["tax_rate"]), "amount": money.stored(body["amount"]), "by": by}

    def work(session, customer, contract):
        if not approval.counts(contract):
            raise Conflict(f"the contract is {contract['status']}: only an approved contract is invoiced")
        left = approval.remaining(contract["amount"], contract.get("invoiced"))
        if money.exact(body["amount"]) > left:
            raise Conflict(f"the invoice is more than the {left} not yet invoiced on this contract",
                           errors=[{"field": "amount", "message": f"at most {left}"}])
        if rt.db.invoices.find_one({"number": body["number"]}, {"_id": 1}, session=session):
            raise Conflict("an invoice of this number exists", errors=[{"field": "number", "message": "taken"}])
        buyer = customer.get("invoice_info") or {}
        if not buyer.get("title") or not buyer.get("tax_id"):
            raise Conflict("the customer's invoice info has no title or tax id",
                           errors=[{"field": "invoice_info", "message": "title and tax_id are required"}])
        without, tax = split(body["amount"], body["tax_rate"])
        invoice.update(contract_id=contract["_id"], customer_id=customer["_id"], buyer_title=buyer["title"],
                       buyer_tax_id=buyer["tax_id"], amount_without_tax=money.stored(without), tax=money.stored(tax),
                       issued_on=customers.now(rt).date().isoformat(), issued_at=customers.now(rt),
                       paid=money.stored(0))
        rt.db.invoices.insert_one(invoice, session=session)
        return _billed(rt, session, customer, contract, invoice, "crm.invoice.issued", money.exact(body["amount"]), by)
    contracts.change(rt, contract_id, work, scope=scope, made=invoice)
    return invoice


def void(rt, invoice_id: str, body: dict, *, by: str, scope: dict) -> dict:
    """Void an issued invoice with a red-letter invoice naming it; the original, now voided, is answered."""
    original = rt.db.invoices.find_one({"_id": invoice_id, "kind": "blue"}, {"contract_id": 1})
    if original is None:
        raise NotFound("no such invoice")
    made: dict = {}

    def work(session, customer, contract):
        blue = rt.db.invoices.find_one({"_id": invoice_id}, session=session)
        if blue["status"] != "issued":
            raise Conflict("the invoice is voided already")
        if money.total(blue.get("paid")) > 0:
            raise Conflict("a payment settles this invoice; it cannot be voided",
                           errors=[{"field": "invoice_id", "message": "paid"}])
        now = customers.now(rt)
        red = {**{k: blue[k] for k in ("contract_id", "customer_id", "type", "tax_rate", "buyer_title",
                                        "buyer_tax_id")},
               "_id": new_id(), "kind": "red", "status": "issued", "number": body.get("number"),
               "reverses": blue["_id"], "reason": body["reason"], "by": by, "issued_on": now.date().isoformat(),
               "issued_at": now, **{k: money.stored(-money.exact(blue[k])) for k in
                                    ("amount", "amount_without_tax", "tax")}}
        if red["number"] and rt.db.invoices.find_one({"number": red["number"]}, {"_id": 1}, session=session):
            raise Conflict("an invoice of this number exists", errors=[{"field": "number", "message": "taken"}])
        rt.db.invoices.insert_one(red, session=session)
        blue.update(status="voided", voided_by=red["_id"], voided_at=now, void_reason=body["reason"])
        rt.db.invoices.replace_one({"_id": blue["_id"]}, blue, session=session)
        made.update(blue)
        return _billed(rt, session, customer, contract, {**blue, "red_invoice_id": red["_id"]},
                       "crm.invoice.voided", -money.exact(blue["amount"]), by)
    contracts.change(rt, original["contract_id"], work, scope=scope, made=made)
    return made


def _billed(rt, session, customer: dict, contract: dict, invoice: dict, kind: str, change: Decimal, by: str) -> list:
    contract["invoiced"] = money.stored(money.total(contract.get("invoiced")) + change)
    customer["invoiced_total"] = money.stored(money.total(customer.get("invoiced_total")) + change)
    contracts.refresh_billing(customer)
    rt.publish(session, rt.event(kind, invoice["_id"], {**snapshot(invoice), "by": by,
                                                        "at": customers.now(rt).isoformat()},
                                 key=customer["_id"]))
    return [customers.updated(rt, by, "invoiced_total", "uninvoiced_total")]


def snapshot(invoice: dict) -> dict:
    """What every crm.invoice.* event carries."""
    return {"invoice_id": invoice["_id"], "contract_id": invoice["contract_id"],
            "customer_id": invoice["customer_id"], "number": invoice["number"], "type": invoice["type"],
            "tax_rate": invoice["tax_rate"], "amount": money.text(invoice["amount"]),
            "amount_without_tax": money.text(invoice["amount_without_tax"]), "tax": money.text(invoice["tax"]),
            "buyer_title": invoice["buyer_title"], "buyer_tax_id": invoice["buyer_tax_id"],
            "status": invoice["status"], "red_invoice_id": invoice.get("red_invoice_id"),
            "reason": invoice.get("void_reason")}

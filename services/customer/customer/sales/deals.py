"""Contracts and payments (DOMAIN §2). They drive the totals and the lifecycle: the first approved
contract or payment makes a customer signed, the second a repeat purchase. A payment made outside any
contract counts as a purchase too; a contract is paid only once approved (contracts/ decides that).

Amounts are exact (crm_common.kernel.money): Decimal arithmetic here, Decimal128 in the
database, decimal strings in the events."""
from __future__ import annotations

from decimal import Decimal

from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict, Invalid
from crm_common.paging import new_id

from ..contracts import approval, contracts
from ..customers import customers
from . import lifecycle


def sign_contract(rt, customer_id: str, body: dict, *, principal, scope: dict) -> tuple[dict, dict]:
    """A contract made on the customer belongs to its primary deal, and is approved as one made on the deal."""
    return contracts.make(rt, customer_id, body, principal=principal, scope=scope)


def receive_payment(rt, customer_id: str, body: dict, *, by: str, scope: dict) -> tuple[dict, dict]:
    payment = {**body, "_id": new_id(), "customer_id": customer_id, "contract_id": body.get("contract_id"),
               "invoice_id": body.get("invoice_id"), "amount": money.stored(body["amount"]), "by": by}

    def mutate(session, customer):
        now = customers.now(rt)
        if payment["invoice_id"]:
            _settle_invoice(rt, session, customer_id, payment)
        if payment["contract_id"]:
            _pay_contract(rt, session, customer_id, payment)
        else:
            lifecycle.purchase(customer)  # paid without a contract: a purchase of its own
        payment["recorded_at"] = now
        rt.db.payments.insert_one(payment, session=session)
        customer["paid_total"] = money.stored(money.total(customer.get("paid_total"), body["amount"]))
        if not payment["contract_id"]:
            customer["order_total"] = money.stored(money.total(customer.get("order_total"), body["amount"]))
            contracts.refresh_billing(customer)
        return [("crm.customer.payment_received", {
            "payment_id": payment["_id"], "contract_id": payment["contract_id"], "amount": money.text(body["amount"]),
            "received_on": body["received_on"], "paid_total": money.text(customer["paid_total"]),
            "outstanding": money.text(money.total(customer.get("order_total")) - money.total(customer["paid_total"])),
            "by": by,
            "recorded_at": now.isoformat()})]
    customer = customers.change(rt, customer_id, mutate, scope=scope, made=payment)
    return payment, customer


def _pay_contract(rt, session, customer_id: str, payment: dict) -> None:
    contract = rt.db.contracts.find_one({"_id": payment["contract_id"], "customer_id": customer_id}, session=session)
    if contract is None:
        raise Invalid("no such contract of this customer", errors=[{"field": "contract_id", "message": "unknown"}])
    if not approval.counts(contract):
        raise Conflict(f"the contract is {contract['status']}: only an approved contract is paid",
                       errors=[{"field": "contract_id", "message": contract["status"]}])
    left = unpaid(contract)
    if money.exact(payment["amount"]) > left:
        raise Conflict(f"the payment is more than the {left} still unpaid on this contract",
                       errors=[{"field": "amount", "message": f"at most {left}"}])
    rt.db.contracts.update_one({"_id": contract["_id"]}, {"$inc": {"paid": payment["amount"]}}, session=session)


def _settle_invoice(rt, session, customer_id: str, payment: dict) -> None:
    """A payment naming the invoice it settles: an issued invoice of this customer (and of the contract named),
    paid no more than its amount. The payment then pays that invoice's contract."""
    invoice = rt.db.invoices.find_one({"_id": payment["invoice_id"], "customer_id": customer_id, "kind": "blue"},
                                      session=session)
    if invoice is None or payment["contract_id"] not in (None, invoice["contract_id"]):
        raise Invalid("no such invoice of this customer or contract",
                      errors=[{"field": "invoice_id", "message": "unknown"}])
    if invoice["status"] != "issued":
        raise Conflict("the invoice is voided", errors=[{"field": "invoice_id", "message": "voided"}])
    left = approval.remaining(invoice["amount"], invoice.get("paid"))
    if money.exact(payment["amount"]) > left:
        raise Conflict(f"the payment is more than the {left} still unpaid on this invoice",
                       errors=[{"field": "amount", "message": f"at most {left}"}])
    payment["contract_id"] = invoice["contract_id"]
    rt.db.invoices.update_one({"_id": invoice["_id"]}, {"$inc": {"paid": payment["amount"]}}, session=session)


def unpaid(contract: dict) -> Decimal:
    """What is still to be paid on a contract, exactly."""
    return approval.remaining(contract["amount"], contract.get("paid"))


def listing(rt, collection: str, customer_id: str) -> list[dict]:
    return list(rt.db[collection].find({"customer_id": customer_id}).sort("_id", 1).limit(500))

"""Contracts and payments (minimal, DOMAIN §2). They drive the totals and the
lifecycle: the first contract or payment makes a customer signed, the second a
repeat purchase. A payment made outside any contract counts as a purchase too.

Amounts are exact (crm_common.kernel.money): Decimal arithmetic here, Decimal128 in the
database, decimal strings in the events."""
from __future__ import annotations

from decimal import Decimal

from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict, Invalid
from crm_common.paging import new_id

from ..customers import customers
from ..opportunities import store as opportunities
from . import lifecycle


def sign_contract(rt, customer_id: str, body: dict, *, by: str, scope: dict) -> tuple[dict, dict]:
    if body["end_date"] < body["start_date"]:
        raise Invalid("the contract ends before it starts",
                      errors=[{"field": "end_date", "message": "must not be before start_date"}])
    contract = {**body, "_id": new_id(), "customer_id": customer_id, "amount": money.stored(body["amount"]),
                "paid": money.stored(0), "by": by}

    def mutate(session, customer):
        now = customers.now(rt)
        contract.update(signed_at=now, owner_id=customer.get("owner_id"))
        opportunities.attach_contract(rt, session, customer, contract, by=by)
        rt.db.contracts.insert_one(contract, session=session)
        customer["contract_count"] = customer.get("contract_count", 0) + 1
        customer["order_total"] = money.stored(money.total(customer.get("order_total"), body["amount"]))
        events = [("crm.customer.contract_signed", {
            "contract_id": contract["_id"], "title": body.get("title"), "amount": money.text(body["amount"]),
            "start_date": body["start_date"], "end_date": body["end_date"],
            "order_total": money.text(customer["order_total"]),
            "by": by, "signed_at": now.isoformat()})]
        lifecycle.purchase(customer)
        return events
    customer = customers.change(rt, customer_id, mutate, scope=scope, made=contract)
    return contract, customer


def receive_payment(rt, customer_id: str, body: dict, *, by: str, scope: dict) -> tuple[dict, dict]:
    payment = {**body, "_id": new_id(), "customer_id": customer_id, "contract_id": body.get("contract_id"),
               "amount": money.stored(body["amount"]), "by": by}

    def mutate(session, customer):
        now = customers.now(rt)
        if payment["contract_id"]:
            _pay_contract(rt, session, customer_id, payment)
        else:
            lifecycle.purchase(customer)  # paid without a contract: a purchase of its own
        payment["recorded_at"] = now
        rt.db.payments.insert_one(payment, session=session)
        customer["paid_total"] = money.stored(money.total(customer.get("paid_total"), body["amount"]))
        if not payment["contract_id"]:
            customer["order_total"] = money.stored(money.total(customer.get("order_total"), body["amount"]))
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
    left = unpaid(contract)
    if money.exact(payment["amount"]) > left:
        raise Conflict(f"the payment is more than the {left} still unpaid on this contract",
                       errors=[{"field": "amount", "message": f"at most {left}"}])
    rt.db.contracts.update_one({"_id": contract["_id"]}, {"$inc": {"paid": payment["amount"]}}, session=session)


def unpaid(contract: dict) -> Decimal:
    """What is still to be paid on a contract, exactly."""
    return money.exact(contract["amount"]) - money.total(contract.get("paid"))


def listing(rt, collection: str, customer_id: str) -> list[dict]:
    return list(rt.db[collection].find({"customer_id": customer_id}).sort("_id", 1).limit(500))

"""Automatic lifecycle classes (自动客户池, DOMAIN §2): the class changes by itself on events.

new customer -> potential; marked no current demand -> nurturing; needs confirmed
-> has demand; added as target -> target; first contract, payment or deal won without
one -> signed; a second -> repeat purchase; lost -> lost; disqualified -> invalid.
"""
from __future__ import annotations

CLASSES = ("potential", "nurturing", "has_demand", "target", "signed", "repeat_purchase", "lost", "invalid")
BOUGHT = ("signed", "repeat_purchase")
NOT_YET_QUALIFIED = (None, "potential", "nurturing")  # classes a deal's progress alone moves on

# trigger -> the class it moves a customer to
_PRE_SALE = {
    "created": "potential",
    "no_demand": "nurturing",
    "demand_confirmed": "has_demand",
    "target_added": "target",
    "lost": "lost",
}
TRIGGERS = tuple(_PRE_SALE) + ("purchase", "disqualified")


def next_class(current: str | None, trigger: str, purchases: int = 0) -> str:
    """The class after `trigger`. `purchases` counts contracts and payments made outside a contract."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown lifecycle trigger {trigger!r}")
    if trigger == "purchase":
        return "signed" if purchases <= 1 else "repeat_purchase"
    if trigger == "disqualified":
        return "invalid"
    if current in BOUGHT:
        # Someone who bought stays a customer: a new deal's progress or loss does not demote them.
        return current
    return _PRE_SALE[trigger]


def change(customer: dict, trigger: str) -> dict:
    """The fields `trigger` changes on `customer`: its next class and why (for the event), or none."""
    new = next_class(customer.get("lifecycle"), trigger, customer.get("purchases", 0))
    if new == customer.get("lifecycle"):
        return {}
    return {"lifecycle": new, "lifecycle_trigger": trigger}


def purchase(customer: dict) -> None:
    """A purchase (a contract, a payment outside any contract, a deal won without a contract): counted,
    the customer is signed, and its class moves (the first signed, a second repeat purchase)."""
    customer["purchases"] = customer.get("purchases", 0) + 1
    customer["milestones"] = {**(customer.get("milestones") or {}), "signed": True}
    reclassify(customer, "purchase")


def reclassify(customer: dict, trigger: str) -> None:
    """Move `customer` (a document) to its next class, remembering why for the event."""
    customer.update(change(customer, trigger))

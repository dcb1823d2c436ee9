"""Derived fields of a customer (DOMAIN §2), recomputed on every save. Pure: no I/O."""
from __future__ import annotations

from crm_common.kernel import money
from crm_common.kernel.identity import company_key

from .contacts import has_contact_method

# 资料完善度: the editable profile fields a rep is expected to fill.
PROFILE_FIELDS = ("name", "kind", "industry", "city", "province", "address", "website", "source", "level", "tags",
                  "note", "founded_on", "contacts")


def completeness(customer: dict) -> float:
    """Filled profile fields / all profile fields, 0..1 (two decimals)."""
    filled = sum(1 for field in PROFILE_FIELDS if _filled(customer, field))
    return round(filled / len(PROFILE_FIELDS), 2)


def _filled(customer: dict, field: str) -> bool:
    if field == "contacts":
        return any(c.get("name") for c in customer.get("contacts", [])) and has_contact_method(
            customer.get("contacts", []))
    value = customer.get(field)
    return value not in (None, "", [], {})


def totals(customer: dict, *, deal_closed: bool) -> dict:
    """Opportunity (the open deal's expected amount), order, paid and outstanding totals, as exact Decimals."""
    expected = money.total((customer.get("qualification") or {}).get("expected_amount"))
    order, paid = money.total(customer.get("order_total")), money.total(customer.get("paid_total"))
    return {"opportunity_total": money.total() if deal_closed else expected, "order_total": order,
            "paid_total": paid, "outstanding": order - paid}


def refresh(customer: dict, *, deal_closed: bool) -> None:
    customer["completeness"] = completeness(customer)
    customer["company_key"] = company_key(customer.get("name"))
    customer.update({k: money.stored(v) for k, v in totals(customer, deal_closed=deal_closed).items()})

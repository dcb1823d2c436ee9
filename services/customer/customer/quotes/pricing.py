"""A quote's figures and its statuses (DOMAIN §2, 报价单). Pure: no I/O.

A line is `quantity × unit_price`, less its discount, a rate from 0 to 1 (0.15 is 15 % off). Each line is
rounded to the fen once, half up, and the totals add up the rounded lines, so the PDF, the answer and the
opportunity's amount always agree to the fen.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict

DRAFT, SENT, ACCEPTED, REJECTED, EXPIRED, SUPERSEDED = "draft", "sent", "accepted", "rejected", "expired", "superseded"
# superseded: a sent version that a later sent version replaced; the customer answers the latest one
WITHDRAWN = "withdrawn"  # still open when its customer was deleted (withdrawal.py)
STATUSES = (DRAFT, SENT, ACCEPTED, REJECTED, EXPIRED, SUPERSEDED, WITHDRAWN)


def decimal(value) -> Decimal:
    return Decimal(str(value.to_decimal() if hasattr(value, "to_decimal") else value))


def line(quantity, unit_price, discount=None) -> dict:
    """One line's gross amount, discount amount and total, exact to the fen."""
    gross = money.exact(decimal(quantity) * money.exact(unit_price))
    off = (gross * decimal(discount or 0)).quantize(money.CENT, rounding=ROUND_HALF_UP)
    return {"gross": gross, "discount_amount": off, "total": gross - off}


def totals(lines: list[dict]) -> dict:
    """subtotal (before discounts), discount_total and total of priced lines."""
    subtotal = money.total(*(item["gross"] for item in lines))
    discount_total = money.total(*(item["discount_amount"] for item in lines))
    return {"subtotal": subtotal, "discount_total": discount_total, "total": subtotal - discount_total}


def status_on(quote: dict, today: str) -> str:
    """The status as of `today` (an ISO date): a sent quote past its validity date has expired. Only a sent
    quote expires: a draft is not an offer yet, and it is refused at sending if its date has passed."""
    if quote["status"] == SENT and quote["valid_until"] < today:
        return EXPIRED
    return quote["status"]


def may(action: str, quote: dict, today: str) -> None:
    """Refuse an action the quote's status does not allow: edit and send a draft; accept or reject a sent one."""
    status = status_on(quote, today)
    allowed = {"edit": (DRAFT,), "send": (DRAFT,), "accept": (SENT,), "reject": (SENT,)}[action]
    if status not in allowed:
        raise Conflict(f"a quote that is {status} cannot be {_done(action)}", reason=f"quote_{status}",
                       status_now=status)
    if action == "send" and quote["valid_until"] < today:
        raise Conflict("the quote's validity date has passed; set a later valid_until before sending",
                       reason="quote_out_of_date", errors=[{"field": "valid_until", "message": f"before {today}"}])


def _done(action: str) -> str:
    return {"edit": "edited", "send": "sent", "accept": "accepted", "reject": "rejected"}[action]


def plain(value) -> str:
    """A quantity or a rate as an exact decimal string without trailing zeros: "2", "1.5", "0.15"."""
    text = f"{decimal(value).normalize():f}"
    return "0" if text in ("-0", "") else text

"""三定一节点 (DOMAIN §2): 定性 qualitative, 定级 grade, 定量 quantitative; 节点 is the stage.

The grade follows the expected amount unless the rep states it.
"""
from __future__ import annotations

from crm_common.kernel import money

QUALITATIVE = ("valuable", "not_valuable", "uncertain")
GRADES = ("large", "normal", "small")
LARGE_FROM, NORMAL_FROM = 500_000, 50_000  # expected amount (CNY) at which a deal is large / normal


def grade_for(expected_amount) -> str | None:
    if expected_amount is None:
        return None
    expected_amount = money.exact(expected_amount)
    if expected_amount >= LARGE_FROM:
        return "large"
    return "normal" if expected_amount >= NORMAL_FROM else "small"


def qualify(customer: dict, body: dict, *, by: str, at) -> dict:
    """Record the qualification on `customer`; returns the event data."""
    amount = body.get("expected_amount")
    record = {"qualitative": body["qualitative"], "grade": body.get("grade") or grade_for(amount),
              "expected_amount": money.stored(amount), "expected_sign_date": body.get("expected_sign_date"),
              "by": by, "at": at}
    customer["qualification"] = record
    # 有价值 is a milestone of its own (DOMAIN §2, milestones).
    customer.setdefault("milestones", {})["valuable"] = body["qualitative"] == "valuable"
    return {k: record[k] for k in ("qualitative", "grade", "expected_sign_date")} | {
        "expected_amount": money.text(amount), "by": by, "qualified_at": at.isoformat()}

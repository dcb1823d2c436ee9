"""Contract approval (合同审批, DOMAIN §2): which approvals a contract needs and who may give them. Pure.

A contract at or below the first threshold is approved when submitted; above it the owner's department
manager approves; above the second an admin approves after the manager. Only a contract that went through
(approved, then active or expired) counts toward totals, wins its deal and starts renewal reminders.
"""
from __future__ import annotations

from decimal import Decimal

from crm_common.kernel import money

WITHDRAWN = "withdrawn"  # undecided when its customer was deleted (withdrawal.py)
STATUSES = ("draft", "pending_approval", "approved", "active", "expired", "rejected", WITHDRAWN)
COUNTED = ("approved", "active", "expired")
UNDECIDED = ("draft", "pending_approval")
DEFAULTS = {"manager_above": "100000.00", "admin_above": "1000000.00"}
MANAGER, ADMIN = "manager", "admin"


def steps_for(amount, thresholds: dict) -> list[str]:
    """The approvals a contract of `amount` needs, in order."""
    amount = money.exact(amount)
    steps = [MANAGER] if amount > money.exact(thresholds["manager_above"]) else []
    return steps + [ADMIN] if amount > money.exact(thresholds["admin_above"]) else steps


def counts(contract: dict) -> bool:
    """Does the contract count? One stored before approval existed (no status) does, as it always did."""
    return contract.get("status", "approved") in COUNTED


def may_decide(principal, awaiting: dict) -> bool:
    """May `principal` approve or reject the step the contract waits for?"""
    if principal.user_id in awaiting.get("approver_ids", []):
        return True
    return awaiting.get("role") == ADMIN and principal.is_admin


def status_on(contract: dict, today: str) -> str:
    """An approved contract is active from its start date and expired after its end date."""
    if contract["status"] not in ("approved", "active"):
        return contract["status"]
    if contract["end_date"] < today:
        return "expired"
    return "active" if contract["start_date"] <= today else "approved"


def remaining(amount, used) -> Decimal:
    """What of `amount` is left after `used` (paid, or invoiced), exactly."""
    return money.exact(amount) - money.total(used)

"""A pool's rules (DOMAIN §3) and their defaults. Pure: no I/O.

What each rule decides lives with its capability: when an owned customer falls
due and the warnings before (reclaim/schedule.py), and who may claim now
(claims/eligibility.py). A pool stores only the rules it sets; `complete` fills
in the rest.
"""
from __future__ import annotations

from crm_common.kernel.holding import DEFAULT_HOLDING_LIMIT

LEVELS = ("A", "B", "C")
DEFAULTS = {
    "no_followup_days": 7, "no_deal_days": 30, "levels": list(LEVELS), "exempt_signed": True,
    "warn_days_before": [2], "daily_claim_limit": 3, "holding_limit": DEFAULT_HOLDING_LIMIT, "first_contact_hours": 48,
    "previous_owner_cooldown_days": 7, "reclaimed_claim_wait_hours": 0, "exempt_stages": [],
}


def complete(rules: dict | None) -> dict:
    """The rules with every default filled in."""
    return {**DEFAULTS, **(rules or {})}

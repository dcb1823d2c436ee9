"""When an owned customer falls due under its pool's rules (DOMAIN §3), and the warnings before. Pure: no I/O.

An owned customer's entry keeps the raw times (last follow-up, since when it is
owned, the first-contact deadline); `schedule` turns them and the pool's rules
into the reclaim due time, the rule that will fire, and `next_due_at`: the
earliest moment the reclaim job has something to do for this customer (a
warning or the reclaim itself). The job reads only entries whose `next_due_at`
has passed, so its cost follows the customers due, not the customers held.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

BOUGHT = ("signed", "repeat_purchase")  # lifecycle classes of a customer who has bought
NO_FOLLOWUP, NO_DEAL, NO_FIRST_CONTACT = "no_followup", "no_deal", "no_first_contact"


def applies(entry: dict, rules: dict) -> bool:
    """Exemptions: a level the rules leave out, or a signed customer when signed ones are exempt."""
    if entry.get("level") not in rules["levels"]:
        return False
    return not (rules["exempt_signed"] and entry.get("lifecycle") in BOUGHT)


@dataclass(frozen=True)
class Schedule:
    reclaim_due_at: datetime | None
    rule: str | None
    warnings: tuple  # ((lead time in days, when), ...) not yet sent, earliest first
    next_due_at: datetime | None


def deadlines(entry: dict, rules: dict) -> dict:
    """rule -> when it fires for this owned customer.

    The no-deal clock runs from the claim (or whenever ownership began) and restarts at each won deal.
    A deal open in one of the pool's `exempt_stages` (say, in negotiation) stops it: such a deal is
    expected to take long, while its owner still has to follow it up, so the other rules still apply."""
    since = entry["owned_since"]
    worked = max(since, entry.get("last_followup_at") or since)
    out = {NO_FOLLOWUP: worked + timedelta(days=rules["no_followup_days"])}
    if not set(entry.get("open_stages") or ()) & set(rules["exempt_stages"]):
        won = max(since, entry.get("last_won_at") or since)
        out[NO_DEAL] = won + timedelta(days=rules["no_deal_days"])
    if entry.get("first_contact_due_at"):
        out[NO_FIRST_CONTACT] = entry["first_contact_due_at"]
    return out


def schedule(entry: dict, rules: dict) -> Schedule:
    """When this owned customer falls due, by which rule, and which warnings are still to send."""
    if not applies(entry, rules):
        return Schedule(None, None, (), None)
    rule, due = min(deadlines(entry, rules).items(), key=lambda kv: kv[1])
    sent = entry.get("warned", []) if entry.get("warned_due_at") == due else []
    warnings = sorted(((days, due - timedelta(days=days)) for days in rules["warn_days_before"]
                       if days not in sent and due - timedelta(days=days) > entry["owned_since"]),
                      key=lambda w: w[1])
    return Schedule(due, rule, tuple(warnings), min([due] + [at for _, at in warnings]))


def is_due(planned: Schedule, now: datetime) -> bool:
    """Reclaim now: a rule applies and its time has come."""
    return planned.reclaim_due_at is not None and planned.reclaim_due_at <= now


def warning_to_send(entry: dict, planned: Schedule, now: datetime) -> tuple[list, float | None]:
    """(lead times counted as sent, the one to send now or None) for an entry not due yet.

    Only the most urgent warning that has come due is sent; the earlier lead times it passed
    count as sent too. Sent lead times belong to one due time: a due time that moved starts afresh."""
    passed = [w for w in planned.warnings if w[1] <= now]
    sent = entry.get("warned", []) if entry.get("warned_due_at") == planned.reclaim_due_at else []
    warned = sorted(set(sent) | {days for days, _ in passed})
    return warned, (min(days for days, _ in passed) if passed else None)

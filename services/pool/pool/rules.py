"""A pool's rules (DOMAIN §3) and what they decide about one customer. Pure: no I/O.

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

import marshmallow as ma

from crm_common.kernel.holding import DEFAULT_HOLDING_LIMIT

LEVELS = ("A", "B", "C")
BOUGHT = ("signed", "repeat_purchase")  # lifecycle classes of a customer who has a deal
DEFAULTS = {
    "no_followup_days": 7, "no_deal_days": 30, "levels": list(LEVELS), "exempt_signed": True,
    "warn_days_before": [2], "daily_claim_limit": 3, "holding_limit": DEFAULT_HOLDING_LIMIT, "first_contact_hours": 48,
    "previous_owner_cooldown_days": 7, "reclaimed_claim_wait_hours": 0,
}
NO_FOLLOWUP, NO_DEAL, NO_FIRST_CONTACT = "no_followup", "no_deal", "no_first_contact"


class RulesIn(ma.Schema):
    """A partial set of rules: what is left out keeps its current (or default) value."""
    class Meta:
        unknown = ma.RAISE

    no_followup_days = ma.fields.Float(validate=ma.validate.Range(min=0.01, max=3650))
    no_deal_days = ma.fields.Float(validate=ma.validate.Range(min=0.01, max=3650))
    levels = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(LEVELS)), validate=ma.validate.Length(max=3))
    exempt_signed = ma.fields.Boolean()
    warn_days_before = ma.fields.List(ma.fields.Float(validate=ma.validate.Range(min=0.01, max=365)),
                                      validate=ma.validate.Length(max=10))
    daily_claim_limit = ma.fields.Integer(validate=ma.validate.Range(min=0, max=10000))
    holding_limit = ma.fields.Integer(validate=ma.validate.Range(min=0, max=1000000))
    first_contact_hours = ma.fields.Float(validate=ma.validate.Range(min=0.01, max=87600))
    previous_owner_cooldown_days = ma.fields.Float(validate=ma.validate.Range(min=0, max=3650))
    reclaimed_claim_wait_hours = ma.fields.Float(validate=ma.validate.Range(min=0, max=87600))


class RulesOut(RulesIn):
    pass


def complete(rules: dict | None) -> dict:
    """The rules with every default filled in."""
    return {**DEFAULTS, **(rules or {})}


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
    """rule -> when it fires for this owned customer."""
    since = entry["owned_since"]
    worked = max(since, entry.get("last_followup_at") or since)
    out = {NO_FOLLOWUP: worked + timedelta(days=rules["no_followup_days"])}
    if entry.get("lifecycle") not in BOUGHT:
        out[NO_DEAL] = since + timedelta(days=rules["no_deal_days"])
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


def claim_refusal(entry: dict | None, *, user_id: str, now: datetime, rules: dict) -> tuple | None:
    """(reason, retry_at) if the rep may not claim this entry now, judged on the entry alone."""
    if entry is None or entry.get("status") != "in_pool":
        return ("taken", None)
    if entry.get("previous_owner_id") == user_id and entry.get("reclaimed_at"):
        until = entry["reclaimed_at"] + timedelta(days=rules["previous_owner_cooldown_days"])
        if now < until:
            return ("cooldown", until)
    if entry.get("reclaimed_at"):
        ready = entry["reclaimed_at"] + timedelta(hours=rules["reclaimed_claim_wait_hours"])
        if now < ready:
            return ("waiting", ready)
    return None


def is_member(pool: dict, user: dict | None) -> bool:
    """Members are users named by id, or anyone in (or below) a named department; admins too.

    A pool open to all (the default pool) takes every active user."""
    if user is None or not user.get("active", True):
        return False
    if pool.get("open_to_all") or user.get("role") == "admin" or user["_id"] in pool.get("admin_user_ids", []):
        return True
    if user["_id"] in pool.get("member_user_ids", []):
        return True
    return bool(set(pool.get("member_department_ids", [])) & set(user.get("department_path", [])))

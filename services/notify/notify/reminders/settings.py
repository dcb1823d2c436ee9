"""Runtime settings an admin changes without a deploy: reminder cadences and offsets, SMTP.

Defaults are DOMAIN §4's. Each process reads them from MongoDB when it needs them (one small
document), so a PUT applies everywhere at once.
"""
from __future__ import annotations

import copy

from crm_common.sealed import Tampered

from ..channels import sealing

KINDS = ("cadence", "next_contact", "overdue", "lead_assigned", "pool_claimed", "reclaim_warning", "renewal",
         "birthday", "anniversary", "lead_resubmitted", "stage_change")
# Kinds kept from the thin slice: the e2e flows and clients already read them.
EXTRA_KINDS = ("customer_assigned", "customer_reclaimed", "stage_followup")

REMINDER_DEFAULTS = {
    "cadence_days": {"A": 3, "B": 7, "C": 30},      # since the last follow-up
    "overdue_after_days": 1,                         # then the rep's supervisor hears of it
    "escalation_second_step_days": 3,                # after that many more days the department manager; null: never
    "lead_response_hours": 24,
    "pool_first_contact_hours": 48,
    "renewal_days_before": [90, 60, 30],
    "birthday_days_before": 0,
    "birthday_calendar": "solar",                    # or "lunar" (农历生日); a contact's own `calendar` wins
    "anniversary_days_before": 0,
    "send_at_local": "09:00",                        # date-based reminders fall due at this time (Asia/Shanghai)
    "high_value_grades": ["large"],
    "critical_kinds": [],                            # these ignore quiet hours
    "retry_seconds": [5, 300, 1800, 7200],           # then the delivery is parked
}
PLANNING = {"cadence_days", "overdue_after_days", "escalation_second_step_days", "renewal_days_before",
            "birthday_days_before", "anniversary_days_before", "send_at_local", "birthday_calendar"}


def reminder_settings(rt, session=None) -> dict:
    stored = rt.db.settings.find_one({"_id": "reminders"}, session=session) or {}
    merged = copy.deepcopy(REMINDER_DEFAULTS)
    merged.update({k: v for k, v in stored.items() if k in REMINDER_DEFAULTS})
    merged["generation"] = stored.get("generation", 0)
    merged["cadence_days"] = {**REMINDER_DEFAULTS["cadence_days"], **(stored.get("cadence_days") or {})}
    return merged


def put_reminder_settings(rt, changes: dict) -> dict:
    # a change of what plans depend on is a new generation: the scheduling job re-plans every pending
    # reminder to it (plan.follow_settings)
    bump = {"$inc": {"generation": 1}} if set(changes) & PLANNING else {}
    fields = {k: v for k, v in changes.items() if k != "cadence_days"}
    # one level's cadence changes alone: the others keep what an earlier PUT gave them
    fields.update({f"cadence_days.{level}": days for level, days in (changes.get("cadence_days") or {}).items()})
    rt.db.settings.update_one({"_id": "reminders"}, {"$set": fields, **bump}, upsert=True)
    return reminder_settings(rt)


def smtp_settings(rt) -> dict | None:
    return rt.db.settings.find_one({"_id": "smtp"})


def smtp_for_sending(rt) -> dict | None:
    """The SMTP settings with the password opened, for the one send that needs it."""
    stored = smtp_settings(rt)
    if stored is None:
        return None
    try:
        return {**stored, "password": sealing.unseal(rt, stored.get("password"), "smtp")}
    except Tampered:
        return {**stored, "password": None, "unreadable": "the stored SMTP password no longer opens; set it again"}


def put_smtp_settings(rt, smtp: dict) -> dict:
    fields = {k: smtp.get(k) for k in ("host", "port", "from", "username", "starttls")}
    if "password" in smtp:  # left out: the stored one stays, so an admin need not type it again
        fields["password"] = sealing.seal(rt, smtp["password"], "smtp")
    rt.db.settings.update_one({"_id": "smtp"}, {"$set": fields}, upsert=True)
    return smtp_settings(rt)

"""The reminder settings an admin changes without a deploy: cadences, offsets, escalation steps,
delivery retries. Defaults are DOMAIN §4's (rules.DEFAULTS). Each process reads them from MongoDB
when it needs them (one small document), so a PUT applies everywhere at once.
"""
from __future__ import annotations

import copy

from crm_common import audit, batching, concurrency

from .rules import DEFAULTS

PLANNING = {"cadence_days", "overdue_after_days", "escalation_second_step_days", "renewal_days_before",
            "birthday_days_before", "anniversary_days_before", "send_at_local", "birthday_calendar"}


def reminder_settings(rt, session=None) -> dict:
    stored = batching.get(rt.db, session, "settings", "reminders") or {}  # once for a consumer's batch
    merged = copy.deepcopy(DEFAULTS)
    merged.update({k: v for k, v in stored.items() if k in DEFAULTS})
    merged["generation"] = stored.get("generation", 0)
    merged["cadence_days"] = {**DEFAULTS["cadence_days"], **(stored.get("cadence_days") or {})}
    return merged


def version(rt) -> int:
    """The settings' version, the ETag's number: 0 while they are DOMAIN §4's defaults (which count: an
    admin replacing them needs If-Match too)."""
    stored = rt.db.settings.find_one({"_id": "reminders"}, {"version": 1}) or {}
    return stored.get("version", 0)


def put_reminder_settings(rt, changes: dict, expected: frozenset[int] | None = None) -> dict:
    """Change the settings if their version is one of `expected` (If-Match; None: any)."""
    # a change of what plans depend on is a new generation: the scheduling job re-plans every pending
    # reminder to it (plan.follow_settings)
    bump = {"$inc": {"version": 1, **({"generation": 1} if set(changes) & PLANNING else {})}}
    fields = {k: v for k, v in changes.items() if k != "cadence_days"}
    # one level's cadence changes alone: the others keep what an earlier PUT gave them
    fields.update({f"cadence_days.{level}": days for level, days in (changes.get("cadence_days") or {}).items()})
    def work(session):  # the change and its audit row commit together
        before = reminder_settings(rt, session)
        stored = rt.db.settings.find_one({"_id": "reminders"}, {"version": 1}, session=session) or {}
        concurrency.check({"version": stored.get("version", 0)}, expected)
        rt.db.settings.update_one({"_id": "reminders"}, {"$set": fields, **bump}, upsert=True, session=session)
        audit.record(rt, session, "reminders", "reminders", before, reminder_settings(rt, session))
    rt.transaction(work)
    return reminder_settings(rt)

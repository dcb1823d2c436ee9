"""The rep's workbench (seed 002: 今日待联系, 逾期未跟进, 高意向但未推进, 上首屏), decided without I/O: whose
workbench a caller may open, the bounds of each list, how far the long lists need reading, and what
each entry says (days since the last follow-up, the suggested next step)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from crm_common.auth import Principal
from crm_common.kernel.refusals import Forbidden

from ..model.days import DEFAULT_TIMEZONE, parse

DEFAULT_STALLED_DAYS = 14  # REPORTING_STALLED_DAYS: high intent, but in its stage this many days
DEFAULT_LIMIT = 50         # REPORTING_WORKBENCH_LIMIT: the entries each list shows
NEXT_STEPS = {  # stage -> (code, suggestion)
    "lead_acquired": ("first_contact", "Make the first contact and ask about their needs"),
    "initial_contact": ("confirm_needs", "Confirm and record the needs"),
    "needs_confirmed": ("send_proposal", "Send a proposal or a quote"),
    "proposal": ("agree_terms", "Follow up the proposal and agree the terms"),
    "negotiation": ("sign_contract", "Close: send the contract for signature"),
    "contract_signed": ("collect_payment", "Collect the payment and plan the renewal"),
}


def check_scope(me: Principal, owner: dict | None) -> None:
    """May `me` open the workbench of another rep, whose user record is `owner`? An admin may open any,
    a manager those of the reps in their department (or below it); no one else another's."""
    if me.is_admin:
        return
    if me.role != "manager" or not me.department_path or me.department_path[-1] not in (owner or {}).get(
            "department_path", []):
        raise Forbidden("that rep is outside your scope")


def today_bounds(now: datetime, tz) -> tuple[date, datetime, datetime]:
    """(the caller's local day, its first instant, the first instant of the next)."""
    today = now.astimezone(tz).date()
    start = datetime.combine(today, datetime.min.time(), tz)
    return today, start, start + timedelta(days=1)


def reading_until(day_counts: dict, limit: int, until: datetime, days_tz=DEFAULT_TIMEZONE) -> datetime:
    """`until`, or earlier: the end of the day after the local day (in the report days' zone) by which
    the counts per day pass `limit` (a day's margin for a caller in another time zone)."""
    seen = 0
    for on in sorted(d for d, n in day_counts.items() if n > 0):
        seen += day_counts[on]
        if seen > limit:
            cut = datetime.combine(date.fromisoformat(on) + timedelta(days=2), datetime.min.time(), days_tz)
            return min(until, cut)
    return until


def entry(name: str, doc: dict, now: datetime, today: date, tz) -> dict:
    """A customer's record as the list `name` shows it."""
    due = parse(doc.get("next_contact_at"))
    last = parse(doc.get("last_followup_at"))  # in local calendar days, as the going-cold report counts
    code, text = NEXT_STEPS.get(doc.get("stage"), ("review", "Review the customer"))
    shown = {"customer_id": doc["_id"], "name": doc.get("name"), "stage": doc.get("stage"),
             "days_since_followup": (today - last.astimezone(tz).date()).days if last else None,
             "next_contact_at": due.isoformat() if due else None, "next_step": code, "suggested_next_step": text}
    if name == "overdue":
        return {**shown, "next_step": "contact_now",
                "suggested_next_step": f"Overdue since {due.astimezone(tz).date()}: contact now"}
    if name == "stalled_high_intent":
        return {**shown, "days_in_stage": (now - parse(doc["stage_since"])).days}
    return shown

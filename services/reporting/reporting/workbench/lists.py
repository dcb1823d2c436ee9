"""The rep's workbench (seed 002: 今日待联系, 逾期未跟进, 高意向但未推进, 上首屏): the first screen a rep opens."""
from __future__ import annotations

import os
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, jsonify, request

from crm_common.auth import require_user
from crm_common.errors import Problem
from crm_common.web import Blueprint, answers, runtime

from ..model import store
from ..model.days import TIMEZONE, parse
from ..reports.schemas import WorkbenchOut

blp = Blueprint("workbench", __name__, url_prefix="/v1", description="The rep's first screen")

STALLED_DAYS = int(os.environ.get("REPORTING_STALLED_DAYS", "14"))
NEXT_STEPS = {  # stage -> (code, suggestion)
    "lead_acquired": ("first_contact", "Make the first contact and ask about their needs"),
    "initial_contact": ("confirm_needs", "Confirm and record the needs"),
    "needs_confirmed": ("send_proposal", "Send a proposal or a quote"),
    "proposal": ("agree_terms", "Follow up the proposal and agree the terms"),
    "negotiation": ("sign_contract", "Close: send the contract for signature"),
    "contract_signed": ("collect_payment", "Collect the payment and plan the renewal"),
}


LIMIT = int(os.environ.get("REPORTING_WORKBENCH_LIMIT", "50"))
EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc)  # before any date: a range from here matches every date


def lists(models, owner_id: str, now: datetime, tz, stalled_days: int = STALLED_DAYS, limit: int = LIMIT) -> dict:
    """Each list holds the `limit` most urgent entries (`more` says a list has others): a first screen
    costs the same however many customers a rep holds or how far behind they are."""
    today = now.astimezone(tz).date()
    start_of_today = datetime.combine(today, datetime.min.time(), tz)
    end_of_today = start_of_today + timedelta(days=1)
    # One indexed query per list (an $or is not served by indexes on every server), in urgency order;
    # the long lists only over the first days that hold `limit` + 1 of them (a server that sorts after
    # reading every match then reads about `limit` records, not all the rep is behind on).
    overdue_by = _first_days(models, owner_id, "due", limit, start_of_today)
    stalled_by = _first_days(models, owner_id, "high", limit, now - timedelta(days=stalled_days))
    # Overdue also names its lower end: with `$lt` alone SecantusDB walks the rep's index entries from the
    # start, through every customer with no next contact (null sorts before dates), and fetches each
    # one before the filter drops it: in the benchmark a rep holding 5000 read 1350 more records than ~60.
    queries = {"overdue": ({"next_contact_at": {"$gte": EARLIEST, "$lt": overdue_by}}, "next_contact_at"),
               "today": ({"next_contact_at": {"$gte": start_of_today, "$lt": end_of_today}}, "next_contact_at"),
               "stalled_high_intent": ({"high_intent": True, "stage_since": {"$lte": stalled_by}}, "stage_since"),
               "pinned": ({"pinned": True}, "next_contact_at")}
    out, more = {}, {}
    for name, (query, order) in queries.items():
        # No "deleted" condition: a deleted record has no due time, intent or pin (handlers._derive), and a
        # field outside the index keeps SecantusDB from using the compound index at all.
        found = list(models.customers.find({"owner_id": owner_id, **query},
                                           {"contrib": 0, "moves": 0, "followups": 0}).sort(order, 1).limit(limit + 1))
        more[name] = len(found) > limit
        out[name] = sorted((_listed(name, doc, now, today, tz) for doc in found[:limit]),
                           key=lambda e: (e["next_contact_at"] or "", e["customer_id"]))
    return {**out, "more": more}


def _first_days(models, owner_id: str, kind: str, limit: int, until: datetime) -> datetime:
    """`until`, or earlier: the end of the day after the local day by which the owner's tallies of
    `kind` count more than `limit` entries (a day's margin for a caller in another time zone)."""
    days: Counter = Counter()
    for row in models.tallies.find({"kind": kind, "level": 1, "owner_id": owner_id}, {"dn": 1}):
        days.update(row.get("dn") or {})
    seen = 0
    for on in sorted(d for d, n in days.items() if n > 0):
        seen += days[on]
        if seen > limit:
            cut = datetime.combine(date.fromisoformat(on) + timedelta(days=2), datetime.min.time(), TIMEZONE)
            return min(until, cut)
    return until


def _listed(name: str, doc: dict, now: datetime, today, tz) -> dict:
    due = parse(doc.get("next_contact_at"))
    entry = _entry(doc, today, tz, due)
    if name == "overdue":
        return {**entry, "next_step": "contact_now",
                "suggested_next_step": f"Overdue since {due.astimezone(tz).date()}: contact now"}
    if name == "stalled_high_intent":
        return {**entry, "days_in_stage": (now - parse(doc["stage_since"])).days}
    return entry


def _entry(doc: dict, today, tz, due) -> dict:
    last = parse(doc.get("last_followup_at"))  # in local calendar days, as the going-cold report counts
    code, text = NEXT_STEPS.get(doc.get("stage"), ("review", "Review the customer"))
    return {"customer_id": doc["_id"], "name": doc.get("name"), "stage": doc.get("stage"),
            "days_since_followup": (today - last.astimezone(tz).date()).days if last else None,
            "next_contact_at": due.isoformat() if due else None, "next_step": code, "suggested_next_step": text}


@blp.route("/workbench", methods=["GET"])
@require_user()
@blp.doc(**answers(200, WorkbenchOut))
def get_workbench():
    """today, overdue, stalled_high_intent and pinned for the caller (a manager may pass owner_id in scope)."""
    rt, me = runtime(), g.principal
    models = store.live(rt.db)
    owner_id = request.args.get("owner_id") or me.user_id
    if owner_id != me.user_id and not me.is_admin:
        user = models.users.find_one({"_id": owner_id}) or {}
        if me.role != "manager" or not me.department_path or me.department_path[-1] not in user.get(
                "department_path", []):
            raise Problem(403, "that rep is outside your scope")
    try:
        tz = ZoneInfo(request.args["tz"]) if request.args.get("tz") else TIMEZONE
    except (ZoneInfoNotFoundError, ValueError):
        raise Problem(400, "unknown time zone", errors=[{"field": "tz", "message": "an IANA name, e.g. Asia/Shanghai"}])
    days = request.args.get("stalled_days", STALLED_DAYS)
    if not str(days).isdigit():
        raise Problem(400, "stalled_days is a whole number", errors=[{"field": "stalled_days", "message": "digits"}])
    return jsonify({"owner_id": owner_id, **lists(models, owner_id, rt.clock.now(), tz, int(days))})

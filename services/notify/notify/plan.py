"""Which reminders a customer has pending, recomputed from notify's state copy after each of its events.

A reminder's key names its occurrence (e.g. `renewal:<contract>:60d`), so recomputing the plan
never creates a second one; keys the plan no longer wants are cancelled while still pending.
A customer without an owner (in the pool) or deleted has none.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import config, reminders

PLANNED = ("cadence", "next_contact", "renewal", "birthday", "anniversary")
COMPANY_TZ = ZoneInfo("Asia/Shanghai")  # date-based reminders are due on the company's calendar
GRACE = timedelta(days=1)  # a step that fell due a moment before its event arrived still counts


def at_local(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), COMPANY_TZ).astimezone(ZoneInfo("UTC"))


def next_yearly(iso_date: str, today: date, days_before: int) -> date | None:
    """The next date (this year or later) of a yearly occasion, `days_before` early; 29 Feb -> 28 Feb."""
    try:
        born = date.fromisoformat(iso_date)
    except (TypeError, ValueError):
        return None
    for year in range(today.year, today.year + 2):
        day = born.replace(year=year) if (born.month, born.day) != (2, 29) else date(year, 2, 28)
        if day - timedelta(days=days_before) >= today:
            return day
    return None


def replan(rt, session, customer: dict) -> None:
    cid = customer["_id"]
    wanted = [] if customer.get("deleted") or not customer.get("owner_id") else _wanted(rt, session, customer)
    for reminder in wanted:
        reminders.schedule(rt, session, reminder)
    rt.db.reminders.update_many({"customer_id": cid, "status": reminders.PENDING, "kind": {"$in": PLANNED},
                                 "_id": {"$nin": [r["_id"] for r in wanted]}},
                                {"$set": {"status": reminders.CANCELLED}}, session=session)


def cancel_all(rt, session, customer_id: str) -> None:
    rt.db.reminders.update_many({"customer_id": customer_id, "status": reminders.PENDING},
                                {"$set": {"status": reminders.CANCELLED}}, session=session)


def _wanted(rt, session, c: dict) -> list[dict]:
    s, now = config.reminder_settings(rt, session), rt.clock.now()
    today = now.astimezone(COMPANY_TZ).date()
    base = {"customer_id": c["_id"], "user_id": c["owner_id"], "to": "owner"}
    out = []
    last = c.get("last_followup") or {}
    since = max(filter(None, [last.get("at"), c.get("owner_since")]), default=None)
    days = s["cadence_days"].get(c.get("level") or "")
    if since and days:
        due = _aware(since) + timedelta(days=days)
        out.append({**base, "_id": f"cadence:{c['_id']}:{due:%Y%m%dT%H%M%S}", "kind": "cadence", "fire_at": due,
                    "due_at": due, "data": {"days": days, "since": _aware(since)}})
    if last.get("next_contact_at") and _aware(last["next_contact_at"]) >= now - GRACE:
        due = _aware(last["next_contact_at"])
        out.append({**base, "_id": f"next_contact:{last['followup_id']}", "kind": "next_contact", "fire_at": due,
                    "due_at": due, "data": {"next_plan": last.get("next_plan")}})
    for contract in rt.db.contracts.find({"customer_id": c["_id"], "end_date": {"$ne": None}}, session=session):
        end = date.fromisoformat(contract["end_date"][:10])
        for before in s["renewal_days_before"]:
            fire = at_local(end - timedelta(days=before), s["send_at_local"])
            if fire >= now - GRACE:
                out.append({**base, "_id": f"renewal:{contract['_id']}:{before}d", "kind": "renewal", "fire_at": fire,
                            "due_at": at_local(end, s["send_at_local"]),
                            "data": {"contract_id": contract["_id"], "title": contract.get("title"),
                                     "end_date": contract["end_date"], "days_before": before,
                                     "amount": contract.get("amount")}})
    for person in c.get("birthdays") or []:
        out += _yearly(base, "birthday", person["contact_id"] or person.get("name", ""), person["birthday"],
                       today, s["birthday_days_before"], s["send_at_local"], {"contact_name": person.get("name")})
    if c.get("founded_on"):
        out += _yearly(base, "anniversary", c["_id"], c["founded_on"], today, s["anniversary_days_before"],
                       s["send_at_local"], {"founded_on": c["founded_on"]})
    return out


def _yearly(base, kind, who, iso_date, today, days_before, hhmm, data) -> list[dict]:
    day = next_yearly(iso_date, today, days_before)
    if day is None:
        return []
    return [{**base, "_id": f"{kind}:{who}:{day.year}", "kind": kind, "due_at": at_local(day, hhmm),
             "fire_at": at_local(day - timedelta(days=days_before), hhmm),
             "data": {**data, "date": day.isoformat(), "years": day.year - int(iso_date[:4])}}]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))

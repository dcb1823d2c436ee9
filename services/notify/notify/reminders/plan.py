"""Which reminders a customer has pending, recomputed from notify's state copy after each of its events.

A reminder's key names its occurrence (e.g. `renewal:<contract>:60d`), so recomputing the plan
never creates a second one; keys the plan no longer wants are cancelled while still pending.
A customer without an owner (in the pool) or deleted has none.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from lunardate import LunarDate
from pymongo import UpdateOne

from . import settings as config, store as reminders

PLANNED = ("cadence", "next_contact", "renewal", "birthday", "anniversary")
COMPANY_TZ = ZoneInfo("Asia/Shanghai")  # date-based reminders are due on the company's calendar
GRACE = timedelta(days=1)  # a step that fell due a moment before its event arrived still counts


def at_local(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), COMPANY_TZ).astimezone(ZoneInfo("UTC"))


def occurrences(iso_date: str, today: date, calendar: str = "solar") -> list[tuple[str, date]]:
    """(key label, date) of a yearly occasion from `today` on, the next few. Solar: the same month
    and day (29 Feb -> 28 Feb), labelled by year. Lunar: the same lunar month and day (a leap-month
    date keeps its month; day 30 in a 29-day month -> 29), labelled `L<lunar year>`."""
    try:
        born = date.fromisoformat(iso_date)
    except (TypeError, ValueError):
        return []
    found = []
    if calendar == "lunar":
        lunar = LunarDate.from_solar_date(born.year, born.month, born.day)
        for year in range(today.year - 1, today.year + 3):
            try:
                day = LunarDate(year, lunar.month, lunar.day).to_solar_date()
            except ValueError:
                day = LunarDate(year, lunar.month, lunar.day - 1).to_solar_date()
            found.append((f"L{year}", day))
    else:
        for year in range(today.year, today.year + 3):
            day = born.replace(year=year) if (born.month, born.day) != (2, 29) else date(year, 2, 28)
            found.append((str(year), day))
    return [(label, day) for label, day in found if day >= today]


def next_yearly(iso_date: str, today: date, days_before: int, calendar: str = "solar") -> date | None:
    """The next date of a yearly occasion whose reminder (`days_before` early) is still to come."""
    return next((day for _, day in _upcoming(iso_date, today, days_before, calendar)), None)


def _upcoming(iso_date, today, days_before, calendar):
    return [(label, day) for label, day in occurrences(iso_date, today, calendar)
            if day - timedelta(days=days_before) >= today]


def replan(rt, session, customer: dict) -> None:
    replan_many(rt, session, [customer])


def replan_many(rt, session, customers: list[dict]) -> None:
    """Bring the customers' planned reminders in line with their state and the current settings.

    A wanted occurrence not yet known is added; one still pending (or cancelled earlier, e.g. while
    the customer sat in the pool) takes the wanted times and owner; one already sent stays sent.
    Pending planned ones no longer wanted are cancelled.
    """
    if not customers:
        return
    s, now = config.reminder_settings(rt, session), rt.clock.now()
    ids = [c["_id"] for c in customers]
    contracts: dict = {}
    for contract in rt.db.contracts.find({"customer_id": {"$in": ids}, "end_date": {"$ne": None}}, session=session):
        contracts.setdefault(contract["customer_id"], []).append(contract)
    wanted = [r for c in customers if c.get("owner_id") and not c.get("deleted")
              for r in _wanted(s, now, c, contracts.get(c["_id"], []))]
    ops = []
    for r in wanted:
        ops.append(UpdateOne({"_id": r["_id"], "status": {"$in": [reminders.PENDING, reminders.CANCELLED]}},
                             {"$set": {"status": reminders.PENDING, "user_id": r["user_id"], "fire_at": r["fire_at"],
                                       "due_at": r["due_at"], "data": r["data"], "customer": r["customer"]}}))
        ops.append(UpdateOne({"_id": r["_id"]}, {"$setOnInsert": reminders.insert_fields(r, now)}, upsert=True))
    if ops:
        rt.db.reminders.bulk_write(ops, ordered=True, session=session)
    rt.db.reminders.update_many({"customer_id": {"$in": ids}, "status": reminders.PENDING, "kind": {"$in": PLANNED},
                                 "_id": {"$nin": [r["_id"] for r in wanted]}},
                                {"$set": {"status": reminders.CANCELLED}}, session=session)


def cancel_all(rt, session, customer_id: str) -> None:
    rt.db.reminders.update_many({"customer_id": customer_id, "status": reminders.PENDING},
                                {"$set": {"status": reminders.CANCELLED}}, session=session)


def follow_settings(rt, *, batch: int = 500, max_seconds: float = 60.0) -> dict:
    """After an admin changed the reminder settings: re-plan every customer, and move the pending
    escalation steps, so nothing pending still follows the old cadences or offsets.

    Resumable: the walk keeps its place in `settings.replan`, so a large one spans several runs of
    the scheduling job (which calls this first) and a replica that dies mid-walk loses nothing.
    """
    target = config.reminder_settings(rt).get("generation", 0)
    progress = rt.db.settings.find_one({"_id": "replan"}) or {}
    if progress.get("done", 0) >= target:
        return {"replanned": 0}
    after = progress.get("after") if progress.get("generation") == target else None
    stop, replanned = monotonic() + max_seconds, 0
    while monotonic() < stop:
        query = {"owner_id": {"$ne": None}, "deleted": {"$ne": True}, **({"_id": {"$gt": after}} if after else {})}
        customers = list(rt.db.customers.find(query).sort("_id", 1).limit(batch))
        if not customers:
            rt.transaction(lambda session: _move_escalations(rt, session))
            rt.db.settings.update_one({"_id": "replan"}, {"$set": {"done": target, "generation": target,
                                                                   "after": None}}, upsert=True)
            break
        rt.transaction(lambda session: replan_many(rt, session, customers))
        after, replanned = customers[-1]["_id"], replanned + len(customers)
        rt.db.settings.update_one({"_id": "replan"}, {"$set": {"generation": target, "after": after}}, upsert=True)
    return {"replanned": replanned}


def _move_escalations(rt, session) -> None:
    """Pending overdue steps fall due `overdue_after_days` after the neglected reminder's due time,
    the second step `escalation_second_step_days` after that (none when it is null)."""
    s = config.reminder_settings(rt, session)
    first, second = timedelta(days=s["overdue_after_days"]), s["escalation_second_step_days"]
    ops = []
    for r in rt.db.reminders.find({"kind": "overdue", "status": reminders.PENDING}, session=session):
        step = (r.get("data") or {}).get("step", 1)
        if step == 2 and second is None:
            ops.append(UpdateOne({"_id": r["_id"], "status": reminders.PENDING},
                                 {"$set": {"status": reminders.CANCELLED}}))
            continue
        fire = _aware(r["due_at"]) + first + (timedelta(days=second) if step == 2 else timedelta(0))
        ops.append(UpdateOne({"_id": r["_id"], "status": reminders.PENDING}, {"$set": {"fire_at": fire}}))
    if ops:
        rt.db.reminders.bulk_write(ops, ordered=False, session=session)


def snapshot(c: dict) -> dict:
    """What a message says of the customer, kept on each planned reminder and refreshed by every
    re-plan (each customer event re-plans), so firing one needs no read of the customer."""
    last = c.get("last_followup") or {}
    return {**{k: c.get(k) for k in ("name", "owner_id", "level", "stage", "grade", "amount", "owner_since")},
            "last_followup": {"summary": last.get("summary"), "at": last.get("at")} if last else None}


def _wanted(s: dict, now: datetime, c: dict, contracts: list[dict]) -> list[dict]:
    today = now.astimezone(COMPANY_TZ).date()
    base = {"customer_id": c["_id"], "user_id": c["owner_id"], "to": "owner", "customer": snapshot(c)}
    out = []
    last = c.get("last_followup") or {}
    since = max(filter(None, [last.get("at"), c.get("owner_since")]), default=None)
    days = s["cadence_days"].get(c.get("level") or "")
    if since and days:
        out += _cadence(base, _aware(since), days, now)
    if last.get("next_contact_at") and _aware(last["next_contact_at"]) >= now - GRACE:
        due = _aware(last["next_contact_at"])
        out.append({**base, "_id": f"next_contact:{last['followup_id']}", "kind": "next_contact", "fire_at": due,
                    "due_at": due, "data": {"next_plan": last.get("next_plan")}})
    for contract in contracts:
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
        calendar = person.get("calendar") or s["birthday_calendar"]  # the contact's own choice, if sent
        out += _yearly(base, "birthday", person["contact_id"] or person.get("name", ""), person["birthday"],
                       today, s["birthday_days_before"], s["send_at_local"], {"contact_name": person.get("name")},
                       calendar)
    if c.get("founded_on"):
        out += _yearly(base, "anniversary", c["_id"], c["founded_on"], today, s["anniversary_days_before"],
                       s["send_at_local"], {"founded_on": c["founded_on"]})
    return out


def _cadence(base: dict, since: datetime, days, now: datetime) -> list[dict]:
    """The cadence series counted from the last follow-up (or from the owner's start): a reminder every
    `days` days until a follow-up starts a new series. Wanted: the first occurrence, any later one that
    fell due within GRACE (its pass may not have run yet) and the next one to come; the job schedules
    each next one when one fires (`next_cadence`), so a customer with no events still gets them."""
    span = timedelta(days=days)
    upcoming = max(1, (now - since) // span + 1)
    recent = max(2, -((since - (now - GRACE)) // span))  # the first due at or after now - GRACE
    return [_occurrence(base, since, days, n) for n in sorted({1, *range(recent, upcoming + 1)})]


def _occurrence(base: dict, since: datetime, days, n: int) -> dict:
    """The n-th cadence reminder from `since`. The first is keyed by `since` alone, so a changed cadence
    moves it instead of adding one; each later one by its due time too, so it is sent exactly once and a
    changed cadence plans its own (the old pending ones are no longer wanted and are cancelled)."""
    due = since + timedelta(days=days) * n
    key = f"cadence:{base['customer_id']}:{since:%Y%m%dT%H%M%S}" + (f":{due:%Y%m%dT%H%M%S}" if n > 1 else "")
    return {**base, "_id": key, "kind": "cadence", "fire_at": due, "due_at": due,
            "data": {"days": days, "since": since, "occurrence": n}}


def next_cadence(reminder: dict, now: datetime) -> list[dict]:
    """The occurrence after a cadence reminder that just fired at `now`: the first due after now (one
    fired late does not make up the ones it missed)."""
    data = reminder["data"]
    since, span = _aware(data["since"]), timedelta(days=data["days"])
    base = {k: reminder.get(k) for k in ("customer_id", "user_id", "to", "customer")}
    return [_occurrence(base, since, data["days"], max(data.get("occurrence", 1), (now - since) // span) + 1)]


def _yearly(base, kind, who, iso_date, today, days_before, hhmm, data, calendar="solar") -> list[dict]:
    """The next occurrence and the one after: on the day the first fires the second stays planned."""
    out = []
    for label, day in _upcoming(iso_date, today, days_before, calendar)[:2]:
        out.append({**base, "_id": f"{kind}:{who}:{label}", "kind": kind, "due_at": at_local(day, hhmm),
                    "fire_at": at_local(day - timedelta(days=days_before), hhmm),
                    "data": {**data, "date": day.isoformat(), "years": day.year - int(iso_date[:4]),
                             "born": iso_date, "calendar": calendar}})
    return out


def after(reminder: dict, s: dict) -> list[dict]:
    """The occurrence after a birthday or anniversary that just fired (for a customer with no
    events in between, whose plan is not recomputed)."""
    data, kind = reminder.get("data") or {}, reminder["kind"]
    if not data.get("born"):
        return []
    who = reminder["_id"].split(":", 1)[1].rsplit(":", 1)[0]
    base = {k: reminder.get(k) for k in ("customer_id", "user_id", "to", "customer")}
    extra = {k: v for k, v in data.items() if k in ("contact_name", "founded_on")}
    occasion = date.fromisoformat(data["date"])
    return _yearly(base, kind, who, data["born"], occasion + timedelta(days=1), s[f"{kind}_days_before"],
                   s["send_at_local"], extra, data.get("calendar", "solar"))[:1]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))

"""The reminder rules of DOMAIN §4, as pure functions: facts in, reminders out (no I/O).

- Follow-up cadence by level (A 3, B 7, C 30 days since the last follow-up, or since the owner got
  the customer), again every N days while nobody follows up: `cadence`, `next_cadence`.
- Next contact time reached (from the follow-up record): `next_contact`.
- Contract renewal 90, 60 and 30 days before the end date: `renewals`.
- Birthdays of contacts, founding anniversaries of customers: `greetings`, `next_year` (their dates:
  calendar.py).
- All of a customer's planned reminders at once: `planned`.
- Overdue: a to-do not done `overdue_after_days` after it was due goes to the rep's supervisor, then
  `escalation_second_step_days` later to the department manager; once per cadence series, once per
  event-driven to-do: `escalation`, `follow_ons`, `moved_escalation`.
- Who hears of a reminder: `owner_of`, `recipients`.
- A contract awaiting approval reminds its approver again every `approval_reminder_hours`: `next_approval`.

The reminders an event raises at once (a new lead, a pool claim, a reclaim warning, ...) are in
raised.py; on which channels and when a user hears of one (quiet hours) in preferences/rules.py.
Each reminder is a dict: `_id` names its occurrence, so planning it again never makes a second one.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from .calendar import at_local, aware, company_date, upcoming

KINDS = ("cadence", "next_contact", "overdue", "lead_assigned", "pool_claimed", "reclaim_warning", "renewal",
         "birthday", "anniversary", "lead_resubmitted", "stage_change")
# Kinds kept from the thin slice: the e2e flows and clients already read them.
EXTRA_KINDS = ("customer_assigned", "customer_reclaimed", "stage_followup",
               "rule_notice", "rule_paused",  # an automation rule's notify action; a rule paused as failing
               "task_due",  # a task (待办) reached its due time (tasks.py)
               "stage_stay", "approval")  # a deal past its stage's expected days; a contract awaiting approval

DEFAULTS = {
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
    "approval_reminder_hours": 24,                   # an approver is reminded again while a contract waits; null: once
}

PLANNED = ("cadence", "next_contact", "renewal", "birthday", "anniversary")  # recomputed from the customer
ESCALATING = ("cadence", "next_contact", "pool_claimed", "lead_assigned", "task_due")  # to-dos whose neglect goes up the chain
GRACE = timedelta(days=1)  # a step that fell due a moment before its event arrived still counts


def snapshot(c: dict) -> dict:
    """What a message says of the customer, kept on each planned reminder and refreshed by every
    re-plan (each customer event re-plans), so firing one needs no read of the customer."""
    last = c.get("last_followup") or {}
    return {**{k: c.get(k) for k in ("name", "owner_id", "level", "stage", "grade", "amount", "owner_since")},
            "last_followup": {"summary": last.get("summary"), "at": last.get("at")} if last else None}


def planned(s: dict, now: datetime, c: dict, contracts: list[dict]) -> list[dict]:
    """The reminders customer `c` (notify's copy) should have planned at `now` under settings `s`.
    A customer without an owner (in the pool) or deleted has none."""
    if not c.get("owner_id") or c.get("deleted"):
        return []
    base = {"customer_id": c["_id"], "user_id": c["owner_id"], "to": "owner", "customer": snapshot(c)}
    last = c.get("last_followup") or {}
    since = max(filter(None, [last.get("at"), c.get("owner_since")]), default=None)
    days = s["cadence_days"].get(c.get("level") or "")
    series = cadence(base, aware(since), days, now) if since and days else []
    return [*series, *next_contact(base, last, now), *renewals(base, s, contracts, now), *greetings(base, s, c, now)]


def cadence(base: dict, since: datetime, days, now: datetime) -> list[dict]:
    """The cadence series counted from the last follow-up (or from the owner's start): a reminder every
    `days` days until a follow-up starts a new series. Wanted: the first occurrence, any later one that
    fell due within GRACE (its pass may not have run yet) and the next one to come; the job schedules
    each next one when one fires (`next_cadence`), so a customer with no events still gets them."""
    span = timedelta(days=days)
    coming = max(1, (now - since) // span + 1)
    recent = max(2, -((since - (now - GRACE)) // span))  # the first due at or after now - GRACE
    return [occurrence(base, since, days, n) for n in sorted({1, *range(recent, coming + 1)})]


def occurrence(base: dict, since: datetime, days, n: int) -> dict:
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
    since, span = aware(data["since"]), timedelta(days=data["days"])
    base = {k: reminder.get(k) for k in ("customer_id", "user_id", "to", "customer")}
    return [occurrence(base, since, data["days"], max(data.get("occurrence", 1), (now - since) // span) + 1)]


def next_contact(base: dict, last: dict, now: datetime) -> list[dict]:
    """The next contact the last follow-up agreed on, when it is still to come (or just passed)."""
    if not last.get("next_contact_at") or aware(last["next_contact_at"]) < now - GRACE:
        return []
    due = aware(last["next_contact_at"])
    return [{**base, "_id": f"next_contact:{last['followup_id']}", "kind": "next_contact", "fire_at": due,
             "due_at": due, "data": {"next_plan": last.get("next_plan")}}]


def renewals(base: dict, s: dict, contracts: list[dict], now: datetime) -> list[dict]:
    """Each contract's renewal reminders, `renewal_days_before` its end date, those still to come."""
    out = []
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
    return out


def greetings(base: dict, s: dict, c: dict, now: datetime) -> list[dict]:
    """The contacts' birthdays (solar or lunar: the contact's own calendar, else the setting) and the
    customer's founding anniversary."""
    day, out = company_date(now), []
    for person in c.get("birthdays") or []:
        calendar = person.get("calendar") or s["birthday_calendar"]  # the contact's own choice, if sent
        out += yearly(base, "birthday", person["contact_id"] or person.get("name", ""), person["birthday"],
                      day, s["birthday_days_before"], s["send_at_local"], {"contact_name": person.get("name")},
                      calendar)
    if c.get("founded_on"):
        out += yearly(base, "anniversary", c["_id"], c["founded_on"], day, s["anniversary_days_before"],
                      s["send_at_local"], {"founded_on": c["founded_on"]})
    return out


def yearly(base, kind, who, iso_date, today, days_before, hhmm, data, calendar="solar") -> list[dict]:
    """The next occurrence and the one after: on the day the first fires the second stays planned."""
    out = []
    for label, day in upcoming(iso_date, today, days_before, calendar)[:2]:
        out.append({**base, "_id": f"{kind}:{who}:{label}", "kind": kind, "due_at": at_local(day, hhmm),
                    "fire_at": at_local(day - timedelta(days=days_before), hhmm),
                    "data": {**data, "date": day.isoformat(), "years": day.year - int(iso_date[:4]),
                             "born": iso_date, "calendar": calendar}})
    return out


def next_year(reminder: dict, s: dict) -> list[dict]:
    """The occurrence after a birthday or anniversary that just fired (for a customer with no
    events in between, whose plan is not recomputed)."""
    data, kind = reminder.get("data") or {}, reminder["kind"]
    if not data.get("born"):
        return []
    who = reminder["_id"].split(":", 1)[1].rsplit(":", 1)[0]
    base = {k: reminder.get(k) for k in ("customer_id", "user_id", "to", "customer")}
    extra = {k: v for k, v in data.items() if k in ("contact_name", "founded_on")}
    occasion = date.fromisoformat(data["date"])
    return yearly(base, kind, who, data["born"], occasion + timedelta(days=1), s[f"{kind}_days_before"],
                  s["send_at_local"], extra, data.get("calendar", "solar"))[:1]


def follow_ons(r: dict, s: dict, now: datetime, reached: bool) -> list[dict]:
    """What reminder `r`, fired at `now`, plans next: the escalation steps of a neglected to-do, the next
    cadence reminder while no follow-up comes (`reached`: somebody was told; if not, the series ends),
    and next year's birthday or anniversary."""
    kind, data = r["kind"], r.get("data") or {}
    base = {k: r.get(k) for k in ("customer_id", "lead_id", "user_id")}
    if r.get("task_id"):  # a task's steps go with the task: its completion cancels them, not a follow-up
        base["task_id"] = r["task_id"]
    if kind == "cadence":
        following = next_cadence(r, now) if reached else []  # nobody to remind: the series ends
        # a series escalates once, from its first reminder: the steps already climb from there
        return following + (escalation(r, base, s) if data.get("occurrence", 1) == 1 else [])
    if kind in ESCALATING and (r.get("customer_id") or r.get("lead_id") or r.get("task_id")):
        return escalation(r, base, s)
    own = own_steps(data)
    if kind == "overdue" and data.get("step") == 1 and (len(own) > 1 or not own and
                                                       s["escalation_second_step_days"] is not None):
        second = own[1] if own else r["fire_at"] + timedelta(days=s["escalation_second_step_days"])
        return [{**base, "_id": f"overdue:{data['origin_key']}:2", "kind": "overdue", "to": "manager",
                 "due_at": r["due_at"], "fire_at": second, "data": {**data, "step": 2}}]
    if kind in ("birthday", "anniversary"):
        return next_year(r, s)
    if kind == "approval" and reached and s["approval_reminder_hours"]:
        return [next_approval(r, s, now)]
    return []


def next_approval(r: dict, s: dict, now: datetime) -> dict:
    """The approval reminder after one that fired at `now`; its decision cancels it (deals.py)."""
    data = {**r["data"], "occurrence": r["data"].get("occurrence", 0) + 1}
    due = now + timedelta(hours=s["approval_reminder_hours"])
    return {"customer_id": r.get("customer_id"), "user_id": r["user_id"], "to": "user", "kind": "approval",
            "_id": f"{r['_id'].rsplit(':', 1)[0]}:{data['occurrence']}", "fire_at": due, "due_at": due, "data": data}


def escalation(r: dict, base: dict, s: dict) -> list[dict]:
    """The first step: the supervisor hears of to-do `r` `overdue_after_days` after it was due, or at a
    rule's own time for a task a rule made with its escalation days (`escalate_at`)."""
    own = own_steps(r.get("data") or {})
    return [{**base, "_id": f"overdue:{r['_id']}:1", "kind": "overdue", "to": "supervisor", "due_at": r["due_at"],
             "fire_at": own[0] if own else r["due_at"] + timedelta(days=s["overdue_after_days"]),
             "data": {"origin": r["kind"], "origin_key": r["_id"], "step": 1,
                      **({"title": r["data"].get("title")} if r.get("task_id") else {}),  # the task named
                      **({"escalate_at": r["data"]["escalate_at"]} if own else {})}}]


def own_steps(data: dict) -> list[datetime]:
    """A task's own escalation times, as its rule set them (empty: the settings' steps)."""
    return [aware(datetime.fromisoformat(t)) for t in data.get("escalate_at") or []]


def moved_escalation(step: dict, s: dict) -> datetime | None:
    """When a pending escalation step falls due under changed settings: `overdue_after_days` after the
    neglected reminder's due time, the second step `escalation_second_step_days` after that; None when
    the second step is no more (the setting is null)."""
    first, second = timedelta(days=s["overdue_after_days"]), s["escalation_second_step_days"]
    number = (step.get("data") or {}).get("step", 1)
    own = own_steps(step.get("data") or {})
    if own:  # a rule's own times do not move with the settings
        return own[number - 1] if len(own) >= number else None
    if number == 2 and second is None:
        return None
    return aware(step["due_at"]) + first + (timedelta(days=second) if number == 2 else timedelta(0))


def owner_of(reminder: dict, customer: dict | None) -> str | None:
    """Who owns what the reminder is about now: a customer's reminder follows owner changes (nobody
    when the customer is deleted); a task's, and any other, goes to the user it names (the assignee)."""
    if reminder.get("task_id"):
        return reminder.get("user_id")
    if reminder.get("customer_id") and customer is not None:
        return None if customer.get("deleted") else customer.get("owner_id")  # follows owner changes
    return reminder.get("user_id")


def recipients(reminder: dict, owner: str | None, users: dict, managers: dict) -> list[str]:
    """Who is told: the user the event named (`to` user), the owner, the owner's supervisor, or the
    managers of the owner's nearest department that has any (`managers`: user id -> manager ids; the
    owner never escalates to themself). A customer in the pool or deleted reminds nobody."""
    to = reminder.get("to", "owner")
    if to == "user":  # told to one person by the event itself (e.g. the rep who claimed it)
        return [reminder["user_id"]] if reminder.get("user_id") else []
    if owner is None:
        return []  # in the pool or deleted: nobody to remind
    if to == "owner":
        return [owner]
    if to == "supervisor":
        boss = (users.get(owner) or {}).get("supervisor_id")
        return [boss] if boss else []
    return [m for m in managers.get(owner, []) if m != owner]

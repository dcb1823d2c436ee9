"""The rep's workbench lists, read from the read models: one indexed query per list, in urgency order."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from ..model import store
from ..model import task as task_model
from ..model.days import DEFAULT_TIMEZONE
from .rules import DEFAULT_LIMIT, DEFAULT_STALLED_DAYS, entry, reading_until, today_bounds

EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc)  # before any date: a range from here matches every date


def lists(models, owner_id: str, now: datetime, tz, stalled_days: int = DEFAULT_STALLED_DAYS,
          limit: int = DEFAULT_LIMIT, days_tz=DEFAULT_TIMEZONE) -> dict:
    """Each list holds the `limit` most urgent entries (`more` says a list has others): a first screen
    costs the same however many customers a rep holds or how far behind they are. `tz` is the caller's
    time zone (what "today" is), `days_tz` the report days' (what the tallies' days are)."""
    today, start_of_today, end_of_today = today_bounds(now, tz)
    # One indexed query per list (an $or is not served by indexes on every server), in urgency order;
    # the long lists only over the first days that hold `limit` + 1 of them (a server that sorts after
    # reading every match then reads about `limit` records, not all the rep is behind on).
    overdue_by = _first_days(models, owner_id, "due", limit, start_of_today, days_tz)
    stalled_by = _first_days(models, owner_id, "high", limit, now - timedelta(days=stalled_days), days_tz)
    # Overdue also names its lower end: with `$lt` alone SecantusDB walks the rep's index entries from the
    # start, through every customer with no next contact (null sorts before dates), and fetches each
    # one before the filter drops it: in the benchmark a rep holding 5000 read 1350 more records than ~60.
    queries = {"overdue": ({"next_contact_at": {"$gte": EARLIEST, "$lt": overdue_by}}, "next_contact_at"),
               "today": ({"next_contact_at": {"$gte": start_of_today, "$lt": end_of_today}}, "next_contact_at"),
               "stalled_high_intent": ({"high_intent": True, "stage_since": {"$lte": stalled_by}}, "stage_since"),
               "pinned": ({"pinned": True}, "next_contact_at")}
    out, more = {}, {}
    for name, (query, order) in queries.items():
        # No "deleted" condition: a deleted record has no due time, intent or pin (customer.derive), and a
        # field outside the index keeps SecantusDB from using the compound index at all.
        found = list(models.customers.find({"owner_id": owner_id, **query},
                                           {"contrib": 0, "moves": 0, "followups": 0}).sort(order, 1).limit(limit + 1))
        more[name] = len(found) > limit
        out[name] = sorted((entry(name, doc, now, today, tz) for doc in found[:limit]),
                           key=lambda e: (e["next_contact_at"] or "", e["customer_id"]))
    # Tasks: overdue is due before now, today the rest of today, so a task is listed once.
    tasks = {"tasks_overdue": (EARLIEST, now), "tasks_today": (max(now, start_of_today), end_of_today)}
    for name, (start, end) in tasks.items():
        found = list(models.others.find({"owner_id": owner_id, "open_due": {"$gte": start, "$lt": end}},
                                        {"contrib": 0}).sort("open_due", 1).limit(limit + 1))
        more[name] = len(found) > limit
        out[name] = [task_model.shown(doc) for doc in found[:limit]]
    return {**out, "more": more}


def _first_days(models, owner_id: str, kind: str, limit: int, until: datetime, days_tz) -> datetime:
    """`until`, or earlier: where the owner's tallies of `kind` by day pass `limit` entries."""
    days: Counter = Counter()
    for row in store.tallies(models, {"kind": kind, "level": 1, "owner_id": owner_id}, ("dn",)):
        days.update(row.get("dn") or {})
    return reading_until(days, limit, until, days_tz)

"""Per rep (DOMAIN §5): new customers, deals won, amount, follow-ups per week, average stay per stage,
overdue reminders, customers held, the reminders sent to them or failed, their tasks (待办) done,
done late and open overdue, and their deals: open ones and their value, and the win rate of those
closed in the period (won / (won + lost), each deal once: a customer with two won deals counts two)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from crm_common.kernel.money import yuan

from .figures import avg_days, ratio
from .query import View

WEEKLY_DAYS = 28  # the window of followups_per_week when the report names no `from`
KINDS = ("new", "won", "lost", "fu", "held", "open", "due", "delivery", "stay", "tdone", "tlate", "topen")
STATES = ("held", "open", "due", "topen")  # where things are now; the other kinds happened on a day
TASK_COUNTS = {"tdone": "tasks_done", "tlate": "tasks_done_late"}  # the tallies the report reads


def weekly_period(view: View) -> View:
    """The period of `followups_per_week`: the report's, or without a `from` the 4 weeks up to `to` (or
    today): all follow-ups ever over 4 weeks would make a long-serving rep look busy."""
    if view.start:
        return view
    end = date.fromisoformat(view.end) if view.end else view.today
    return replace(view, start=(end - timedelta(days=WEEKLY_DAYS - 1)).isoformat())


def reps(found: dict[str, list[dict]], recent: list[dict], *, today: date, weekly_days: int, names: dict,
         late_today: dict | None = None) -> dict:
    """From the rows by owner of each of KINDS (`due` and `topen` also by day, `delivery` and `stay` by
    key), the follow-ups in the weekly period (`recent`, over `weekly_days`), the reps' usernames, and
    per rep the open tasks due earlier today (`late_today`: the day's rows alone cannot say which)."""
    def per_owner(kind):
        return [r for r in found.get(kind, ()) if r.get("owner_id")]
    items: dict = defaultdict(lambda: {"new_customers": 0, "won": 0, "won_amount": 0, "followups": 0,
                                       "overdue_reminders": 0, "held": 0, "avg_days": {},
                                       "reminders_sent": 0, "reminders_failed": 0,
                                       "tasks_done": 0, "tasks_done_late": 0, "tasks_open_overdue": 0,
                                       "lost": 0, "open_opportunities": 0, "pipeline_amount": 0})
    for row in per_owner("new"):
        items[row["owner_id"]]["new_customers"] += row["n"]
    for row in per_owner("won"):
        items[row["owner_id"]]["won"] += row["n"]
        items[row["owner_id"]]["won_amount"] += row["amount"]
    for row in per_owner("fu"):
        items[row["owner_id"]]["followups"] += row["n"]
    for row in per_owner("lost"):
        items[row["owner_id"]]["lost"] += row["n"]
    for row in per_owner("held"):
        items[row["owner_id"]]["held"] += row["n"]
    for row in per_owner("open"):
        items[row["owner_id"]]["open_opportunities"] += row["n"]
        items[row["owner_id"]]["pipeline_amount"] += row["amount"]
    for row in per_owner("due"):
        if row["day"] < today.isoformat():
            items[row["owner_id"]]["overdue_reminders"] += row["n"]
    for row in per_owner("delivery"):  # notifications to the rep, by outcome
        items[row["owner_id"]]["reminders_" + row["k"][0]] += row["n"]
    for kind, name in TASK_COUNTS.items():
        for row in per_owner(kind):
            items[row["owner_id"]][name] += row["n"]
    for row in per_owner("topen"):
        if row["day"] < today.isoformat():
            items[row["owner_id"]]["tasks_open_overdue"] += row["n"]
    for owner, n in (late_today or {}).items():
        items[owner]["tasks_open_overdue"] += n
    for row in per_owner("stay"):
        items[row["owner_id"]]["avg_days"][row["k"][0]] = avg_days(row["secs"], row["n"])
    weekly: dict = defaultdict(int)
    for row in recent:
        if row.get("owner_id"):
            weekly[row["owner_id"]] += row["n"]
    weeks = Decimal(weekly_days) / 7
    out = [{"user_id": owner, "username": names.get(owner, owner), **cell, "won_amount": yuan(cell["won_amount"]),
            "pipeline_amount": yuan(cell["pipeline_amount"]), "win_rate": ratio(cell["won"], cell["won"] + cell["lost"]),
            "followups_per_week": float((weekly[owner] / weeks).quantize(Decimal("0.01"), ROUND_HALF_UP))}
           for owner, cell in items.items()]
    return {"items": sorted(out, key=lambda i: (i["username"], i["user_id"]))}

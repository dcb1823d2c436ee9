"""What one record adds to the pre-aggregated tallies, so reports never scan all customers.

A contribution is (kind, parts, day) -> [count, amount in fen, seconds]. State kinds
(day None) say where the record is now; flow kinds carry the local day they happened.
A record's contributions are stored with it; a change subtracts the old ones and adds
the new ones, under the record's old and new dimensions (owner, department, channel,
campaign), so counts follow owners: a rep who lost a customer stops seeing it.
"""
from __future__ import annotations

from collections import defaultdict

from . import customer as model
from . import opportunity
from .days import DEFAULT_TIMEZONE, day, days_between
from .stages import advanced

# What deals add up to: a customer's record adds them only while it stands for its one deal.
DEAL_KINDS = ("stage", "open", "forecast", "slip", "entered", "advanced", "stay", "won", "lost", "cycle")


def of_customer(doc: dict, tz=DEFAULT_TIMEZONE) -> dict:
    """A customer: where it is now, and what it did on which local day (in `tz`)."""
    if doc["deleted"] or doc.get("stage") is None:
        return {}
    out, add = _tally()
    stage = doc["stage"]
    add("held")  # the per-rep report's customers held, whatever their deals
    last = model.last_followup(doc)
    if stage != "lost" and doc.get("owner_id"):
        if last:
            add("cold", on=day(last["at"], tz))  # the going-cold heatmap buckets these days at query time
        else:
            add("never")
        due = model.due_at(doc)
        if due:
            add("due", on=day(due, tz))  # reminders now overdue: these days before today
    if doc.get("high_intent") and doc.get("owner_id") and doc.get("stage_since"):
        add("high", on=day(doc["stage_since"], tz))  # the workbench finds its longest stalled from these days
    if doc.get("created_at"):
        add("new", on=day(doc["created_at"], tz))
    _of_deal(add, opportunity.legacy(doc), tz)  # until its first opportunity event: one deal
    for followup in doc["followups"].values():
        add("fu", on=day(followup["at"], tz))
    return dict(out)


def of_opportunity(doc: dict, tz=DEFAULT_TIMEZONE) -> dict:
    """An opportunity: its stage now, its open value and expected signing, each stage it entered and
    left, and its win (with the sales cycle) or loss, on their local days."""
    out, add = _tally()
    _of_deal(add, opportunity.view(doc), tz)
    return dict(out)


def _tally():
    """A record's contributions, and how one more is added: add(kind, *parts, on=day, amount=, secs=)."""
    out: dict = defaultdict(lambda: [0, 0, 0])

    def add(kind, *parts, on=None, amount=0, secs=0):
        cell = out[(kind, *parts, on)]
        cell[0] += 1
        cell[1] += amount
        cell[2] += int(secs)
    return out, add


def _of_deal(add, deal: dict | None, tz) -> None:
    """What one deal adds (an opportunity's, or the one a customer without opportunities stands for)."""
    if deal is None:
        return
    add("stage", deal["stage"])
    value = deal["amount"] if deal["amount"] is not None else deal["expected_amount"]
    if deal["status"] == "open":
        add("open", amount=value or 0)  # the per-rep report's open pipeline value
        if deal["close_date"]:
            add("forecast", deal["close_date"][:7], deal["stage"], deal["pipeline_id"], amount=value or 0)
    if deal["first_date"] and deal["close_date"] and deal["close_date"] > deal["first_date"]:
        add("slip", int(days_between(deal["first_date"], deal["close_date"], tz)))
    for stay in deal["entries"]:
        add("entered", stay["stage"], on=day(stay["entered"], tz))
        if stay["next"] and advanced(stay["stage"], stay["next"]):
            add("advanced", stay["stage"], on=day(stay["entered"], tz))
        if stay["exited"]:
            add("stay", stay["stage"], on=day(stay["exited"], tz),
                secs=days_between(stay["entered"], stay["exited"], tz) * 86400)
    won_at = deal["won_at"] or (deal["entries"][-1]["entered"] if deal["status"] == "won" and deal["entries"] else None)
    if deal["status"] == "won" and won_at:
        add("won", on=day(won_at, tz), amount=deal["amount"] or 0)
        if deal["cycle_start"]:
            add("cycle", deal["grade"], deal["industry"],
                max(0, int(days_between(deal["cycle_start"], won_at, tz))), on=day(won_at, tz))
    elif deal["status"] == "lost" and deal["lost_at"]:
        add("lost", on=day(deal["lost_at"], tz))


def of_lead(doc: dict, tz=DEFAULT_TIMEZONE) -> dict:
    """A lead: received, flagged as a possible duplicate, converted; or one resubmission (an exact duplicate)."""
    out = {}
    if doc.get("received_at"):
        out[("lead", day(doc["received_at"], tz))] = [1, 0, 0]
    if doc.get("possible_at"):
        out[("possible", day(doc["possible_at"], tz))] = [1, 0, 0]
    if doc.get("converted_at"):
        out[("converted", day(doc["converted_at"], tz))] = [1, 0, 0]
    if doc.get("resubmitted_at"):
        out[("dup", day(doc["resubmitted_at"], tz))] = [1, 0, 0]
    return out


def of_move(doc: dict, tz=DEFAULT_TIMEZONE) -> dict:
    """A pool movement: reclaimed, claimed, returned, assigned (per pool and rep)."""
    return {("pool", doc["kind"], doc.get("pool_id"), day(doc["at"], tz)): [1, 0, 0]}


def of_delivery(doc: dict, tz=DEFAULT_TIMEZONE) -> dict:
    """A notification to a user: sent or failed, by channel and reminder kind, on its day."""
    return {("delivery", doc["status"], doc["via"], doc["reminder"], day(doc["at"], tz)): [1, 0, 0]}


def of_task(doc: dict, tz=DEFAULT_TIMEZONE) -> dict:
    """A task for its assignee: done (and done late) on the day it was done; open, by the day it is due
    (the per-rep report counts those due before now as open overdue)."""
    out = {}
    if doc.get("status") == "done" and doc.get("completed_at"):
        out[("tdone", day(doc["completed_at"], tz))] = [1, 0, 0]
        if doc.get("done_late"):
            out[("tlate", day(doc["completed_at"], tz))] = [1, 0, 0]
    elif doc.get("status") == "open":
        out[("topen", day(doc["due_at"], tz))] = [1, 0, 0]
    return out


def dims(doc: dict) -> dict:
    """The dimensions a record's tallies are filed and filtered under."""
    lead = doc.get("lead") or {}
    return {"owner_id": doc.get("owner_id"), "department_path": list(doc.get("department_path") or []),
            "channel": doc.get("channel", lead.get("channel")), "campaign": doc.get("campaign", lead.get("campaign"))}


def stored(contributions: dict) -> list:
    """The form kept on the record: keys may hold dots, so a list, not a MongoDB document."""
    return [[list(key), *cell] for key, cell in sorted(contributions.items(), key=lambda kv: repr(kv[0]))]


def loaded(rows: list | None) -> dict:
    return {tuple(key): list(cell) for key, *cell in (rows or [])}

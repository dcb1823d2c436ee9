"""Rows of the tallies within a viewer's scope and the report filters.

An admin or a manager reads the pre-aggregated tallies (one row per owner,
department, channel, campaign and key, never one per customer). A rep's scope
is the customers they own or collaborate on, which the tallies cannot split, so
theirs is summed from those records' own contributions (a rep holds a few
hundred at most, read through the owner and collaborator indexes).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crm_common.auth import Principal
from crm_common.kernel.refusals import Invalid

from ..model import store
from ..model.contributions import DEAL_KINDS, loaded
from ..model.days import DEFAULT_TIMEZONE, today

OTHER_KINDS = ("lead", "possible", "converted", "dup", "pool", "delivery", "tdone", "tlate", "topen")
FILTERS = ("department_id", "owner_id", "channel", "campaign")


@dataclass
class View:
    principal: Principal
    now: datetime
    start: str | None = None        # first local day of the period (inclusive)
    end: str | None = None          # last local day of the period (inclusive)
    department_id: str | None = None
    owner_id: str | None = None
    channel: str | None = None
    campaign: str | None = None
    tz: ZoneInfo = DEFAULT_TIMEZONE  # the report days' time zone

    @property
    def today(self) -> date:
        return today(self.now, self.tz)

    @property
    def period_days(self) -> int | None:
        if not self.start:
            return None
        end = date.fromisoformat(self.end) if self.end else self.today
        return (end - date.fromisoformat(self.start)).days + 1


def view_from(principal: Principal, now: datetime, args, tz: ZoneInfo = DEFAULT_TIMEZONE) -> View:
    """The viewer's period and filters from a request's arguments."""
    values = {k: (args.get(k) or None) for k in FILTERS}
    for name in ("from", "to"):
        if args.get(name):
            try:
                values["start" if name == "from" else "end"] = date.fromisoformat(args[name][:10]).isoformat()
            except ValueError:
                raise Invalid(f"{name} is not a date", errors=[{"field": name, "message": "YYYY-MM-DD"}])
    if values.get("start") and values.get("end") and values["start"] > values["end"]:
        raise Invalid("from is after to", errors=[{"field": "from", "message": "on or before to"}])
    return View(principal, now, **values, tz=tz)


def rows(models, view: View, kind: str, by=("k",), flow: bool = False) -> list[dict]:
    """Summed tallies of `kind`, grouped by the fields `by` (of k, day, owner_id, channel, campaign)."""
    if view.principal.is_admin or view.principal.role == "manager":
        return _from_tallies(models, view, kind, by, flow)
    return _from_records(models, view, kind, by, flow)


def _from_tallies(models, view, kind, by, flow) -> list[dict]:
    split = {"channel", "campaign"} & set(by) or view.channel or view.campaign
    level = 0 if split else 1 if ("owner_id" in by or view.owner_id) else 2
    match: dict = {"kind": kind, "level": level}
    departments = [d for d in (_manager_leaf(view.principal), view.department_id) if d]
    if departments:  # one department as a plain equality: the index serves it directly
        match["department_path"] = departments[0] if len(departments) == 1 else {"$all": departments}
    for name in ("owner_id", "channel", "campaign"):
        if getattr(view, name):
            match[name] = getattr(view, name)
    per_day = "day" in by or (flow and (view.start or view.end))
    fields = {f: 1 for f in ("k", "owner_id", "channel", "campaign", "n", "amount", "secs")}
    if per_day:
        fields.update(dn=1, da=1, ds=1)
    groups: dict = {}
    for doc in store.tallies(models, match, fields):
        for on, cell in _cells(doc, per_day, view if flow else None):
            row_fields = {"k": doc["k"], "day": on, "owner_id": doc.get("owner_id"), "channel": doc.get("channel"),
                          "campaign": doc.get("campaign")}
            _add(groups, by, row_fields, cell)
    return [row for row in groups.values() if row["n"]]


def _cells(doc: dict, per_day: bool, period: View | None):
    """(day, [n, amount, secs]) of a tally document: its all-time sums, or its days (in the period)."""
    if not per_day:
        yield None, (doc.get("n", 0), doc.get("amount", 0), doc.get("secs", 0))
        return
    amounts, secs = doc.get("da") or {}, doc.get("ds") or {}
    for on, n in (doc.get("dn") or {}).items():
        if period and ((period.start and on < period.start) or (period.end and on > period.end)):
            continue
        yield on, (n, amounts.get(on, 0), secs.get(on, 0))


def _add(groups: dict, by, fields: dict, cell) -> None:
    row = groups.setdefault(repr([fields[f] for f in by]), {**{f: fields[f] for f in by}, "n": 0, "amount": 0, "secs": 0})
    row["n"], row["amount"], row["secs"] = row["n"] + cell[0], row["amount"] + cell[1], row["secs"] + cell[2]


def _manager_leaf(principal: Principal) -> str | None:
    if principal.role == "manager":
        return principal.department_path[-1] if principal.department_path else "-none-"
    return None


def _from_records(models, view, kind, by, flow) -> list[dict]:
    me = view.principal.user_id
    if kind in OTHER_KINDS:
        records = models.others.find({"owner_id": me})
    else:
        records = models.customers.find({"$or": [{"owner_id": me}, {"collaborator_ids": me}], "deleted": False})
    if kind in DEAL_KINDS:  # the deals they own or whose customer they see, beside customers without deals
        records = list(records)
        seen = sorted({"opp:" + deal for record in records for deal in record.get("deal_ids", [])})
        records = itertools.chain(records, models.others.find(
            {"$or": [{"owner_id": me, "_id": {"$regex": "^opp:"}}, {"_id": {"$in": seen}}]}))
    groups: dict = {}
    for record in records:
        lead = record.get("lead") or {}
        dims = {"owner_id": record.get("owner_id"), "channel": record.get("channel", lead.get("channel")),
                "campaign": record.get("campaign", lead.get("campaign"))}
        if view.department_id and view.department_id not in record.get("department_path", []):
            continue
        if any(getattr(view, f) and dims[f] != getattr(view, f) for f in ("owner_id", "channel", "campaign")):
            continue
        for key, cell in loaded(record.get("contrib")).items():
            on = key[-1]
            if key[0] != kind or (flow and ((view.start and on < view.start) or (view.end and on > view.end))):
                continue
            _add(groups, by, {"k": list(key[1:-1]), "day": on, **dims}, cell)
    return [row for row in groups.values() if row["n"]]


def usernames(models, user_ids) -> dict:
    return {u["_id"]: u["username"] for u in models.users.find({"_id": {"$in": list(user_ids)}})}


def owners(*found: list[dict]) -> set:
    """The reps named in lists of rows grouped by owner_id."""
    return {row["owner_id"] for listed in found for row in listed if row.get("owner_id")}

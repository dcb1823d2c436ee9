"""Reminders that follow a customer's deals and contracts, each on its own: a deal staying in its stage
past the stage's expected days (each open deal its own, naming it), and the contracts waiting for an
approver (the department manager, then an admin), reminded again while they wait, gone once decided."""
from __future__ import annotations

import re

from .. import state
from . import due, raised, settings, store

STEPS = ("manager", "admin")


def deal_moved(rt, session, data: dict) -> None:
    """crm.opportunity.created, stage_changed, won, lost: the deal's earlier stage no longer asks; an open
    deal's new stage is watched for its expected days. A high-value deal's move tells the supervisor."""
    reminder = raised.stage_stay(data)
    _cancel(rt, session, data["customer_id"], "stage_stay", {"data.opportunity_id": data["opportunity_id"]},
            keep=reminder and reminder["_id"])
    if reminder:
        store.schedule(rt, session, reminder)
    if "to" in data:
        _high_value(rt, session, data)


def _high_value(rt, session, data: dict) -> None:
    """The deal's grade (定级), else its customer's, among the high-value grades: the owner's supervisor
    hears of the move, naming the deal. Keyed as the customer's own stage change of the same move, so a
    move the customer shows too is told once."""
    grade = data.get("grade") or (state.customer(rt, session, data["customer_id"]) or {}).get("grade")
    notice = raised.stage_change(data, grade, settings.reminder_settings(rt, session)["high_value_grades"])
    if notice:
        notice["data"].update(opportunity_id=data["opportunity_id"], opportunity=data.get("name"))
        due.raise_now(rt, session, notice)


def deal_deleted(rt, session, data: dict) -> None:
    _cancel(rt, session, data["customer_id"], "stage_stay", {"data.opportunity_id": data["opportunity_id"]})


def contract_waiting(rt, session, data: dict) -> None:
    """crm.contract.submitted, or approved (a step, not the last): its approvers hear at once; the step
    decided before is settled."""
    awaiting = data.get("awaiting")
    if awaiting is None:
        return decided(rt, session, data)  # approved at once, or its last step
    _settle(rt, session, data, [s for s in STEPS if s != awaiting["step"]])
    for reminder in raised.approvals(data, _approvers(rt, session, awaiting)):
        due.raise_now(rt, session, reminder)


def decided(rt, session, data: dict) -> None:
    """crm.contract.approved (its last step), rejected: nobody is asked again."""
    _settle(rt, session, data, STEPS)


def _settle(rt, session, data: dict, steps: list[str]) -> None:
    """The approval reminders of the contract's `steps` are done: the pending ones cancelled, the notices
    in the approvers' inboxes read, so they leave what is still waiting for them."""
    _cancel(rt, session, data["customer_id"], "approval", {"data.contract_id": data["contract_id"],
                                                          "data.step": {"$in": steps}})
    keys = f"^approval:{re.escape(data['contract_id'])}:({'|'.join(steps)}):"
    rt.db.inbox.update_many({"kind": "approval", "customer_id": data["customer_id"], "read_at": None,
                             "key": {"$regex": keys}}, {"$set": {"read_at": rt.clock.now()}}, session=session)


def customer_gone(rt, session, customer_id: str) -> None:
    """A deleted customer's undecided contracts are withdrawn: their approval notices are done too."""
    rt.db.inbox.update_many({"kind": "approval", "customer_id": customer_id, "read_at": None},
                            {"$set": {"read_at": rt.clock.now()}}, session=session)


def _approvers(rt, session, awaiting: dict) -> list[str]:
    """The approvers the contract names; for an admin's step, every active admin notify knows."""
    if awaiting.get("approver_ids"):
        return list(awaiting["approver_ids"])
    return sorted(u["_id"] for u in rt.db.users.find({"role": "admin", "active": True}, {"_id": 1}, session=session))


def _cancel(rt, session, customer_id: str, kind: str, query: dict, *, keep=None) -> None:
    found = rt.db.reminders.find({"customer_id": customer_id, "kind": kind, "status": store.PENDING, **query},
                                 {"_id": 1}, session=session)
    keys = [r["_id"] for r in found if r["_id"] != keep]
    if keys:
        store.cancel(rt, session, {"customer_id": customer_id, "_id": {"$in": keys}})


HANDLERS = {**{f"crm.opportunity.{t}": deal_moved for t in ("created", "stage_changed", "won", "lost")},
            "crm.opportunity.deleted": deal_deleted,
            "crm.contract.submitted": contract_waiting, "crm.contract.approved": contract_waiting,
            "crm.contract.rejected": decided}

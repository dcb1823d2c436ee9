"""What notify does with each event it consumes: keep its state copy, re-plan the customer's
reminders, and raise the event-driven ones at once (what they say: raised.py)."""
from __future__ import annotations

from crm_common.events import parse_time

from .. import state
from . import deals, due, plan, raised, settings, store

SNAPSHOT_ONLY = ("crm.customer.updated", "crm.customer.qualified", "crm.customer.lifecycle_changed",
                 "crm.customer.won", "crm.customer.lost", "crm.customer.payment_received")


def _replan(rt, session, customer_id: str) -> None:
    plan.replan(rt, session, state.customer(rt, session, customer_id))


def snapshot(rt, session, data: dict) -> None:
    state.customer_changed(rt, session, data)
    _replan(rt, session, data["customer_id"])


def created(rt, session, data: dict) -> None:
    state.customer_changed(rt, session, data, owner_since=parse_time(data["created_at"]))
    _replan(rt, session, data["customer_id"])
    due.raise_now(rt, session, raised.customer_created(data))


def followed_up(rt, session, data: dict) -> None:
    state.followed_up(rt, session, data)
    # done, no escalation (a task's steps wait for the task: tasks.py)
    store.cancel(rt, session, {"customer_id": data["customer_id"], "kind": "overdue", "task_id": None})
    # the follow-up a stage asked for is done (one scheduled before it; older reminders lack scheduled_at)
    done_at = parse_time(data["followed_up_at"])
    store.cancel_with_steps(rt, session, data["customer_id"], "stage_followup",
                            lambda r: "scheduled_at" not in r or (r["scheduled_at"] is not None
                                                                 and r["scheduled_at"] <= done_at))
    _replan(rt, session, data["customer_id"])


def owner_changed(rt, session, data: dict) -> None:
    state.customer_changed(rt, session, data, owner_since=parse_time(data["changed_at"]))
    # the new owner starts afresh: the previous owner's neglect is not escalated as theirs
    store.cancel(rt, session, {"customer_id": data["customer_id"], "kind": "overdue", "task_id": None})
    if data.get("to_owner_id"):
        _replan(rt, session, data["customer_id"])
    else:
        plan.cancel_all(rt, session, data["customer_id"])


def contract_signed(rt, session, data: dict) -> None:
    state.contract_signed(rt, session, data)
    _replan(rt, session, data["customer_id"])


def deleted(rt, session, data: dict) -> None:
    state.deleted(rt, session, data)
    plan.cancel_all(rt, session, data["customer_id"], approvals=True)  # its undecided contracts are withdrawn
    deals.customer_gone(rt, session, data["customer_id"])


def stage_changed(rt, session, data: dict) -> None:
    snapshot(rt, session, data)
    # a stage left behind (won, lost or another) no longer asks for its follow-up; only this event moves
    # a stage, so the other customer events need not look
    store.cancel_with_steps(rt, session, data["customer_id"], "stage_followup",
                            lambda r: r.get("stage") not in (data["to"], None))
    grade = (state.customer(rt, session, data["customer_id"]) or {}).get("grade")
    reminder = raised.stage_change(data, grade, settings.reminder_settings(rt, session)["high_value_grades"])
    if reminder:
        due.raise_now(rt, session, reminder)


def stage_action(rt, session, data: dict) -> None:
    """crm.customer.followup_scheduled: the stage just entered asks for a follow-up by `due_at`."""
    reminder = raised.stage_followup(data)
    if reminder:
        store.schedule(rt, session, reminder)


def pool_claimed(rt, session, data: dict) -> None:
    hours = settings.reminder_settings(rt, session)["pool_first_contact_hours"]
    due.raise_now(rt, session, raised.pool_claimed(data, hours))


def pool_assigned(rt, session, data: dict) -> None:
    due.raise_now(rt, session, raised.pool_assigned(data))


def reclaim_warning(rt, session, data: dict) -> None:
    due.raise_now(rt, session, raised.reclaim_warning(data))


def reclaimed(rt, session, data: dict) -> None:
    due.raise_now(rt, session, raised.reclaimed(data))


def lead_assigned(rt, session, data: dict) -> None:
    """crm.lead.assigned: a re-assignment starts afresh (the earlier escalation goes), then the new owner
    is told, and escalated to if they do not respond in time."""
    lead_answered(rt, session, data)
    hours = settings.reminder_settings(rt, session)["lead_response_hours"]
    due.raise_now(rt, session, raised.lead_assigned(data, hours))


def lead_answered(rt, session, data: dict) -> None:
    """crm.lead.contacted, converted, disqualified, merged (`merged_id`): nobody need escalate the lead."""
    store.cancel(rt, session, {"lead_id": data.get("lead_id") or data["merged_id"], "kind": "overdue",
                               "task_id": None})


def lead_resubmitted(rt, session, data: dict) -> None:
    reminder = raised.lead_resubmitted(data)
    if reminder:
        due.raise_now(rt, session, reminder)

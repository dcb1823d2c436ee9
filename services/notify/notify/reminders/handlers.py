"""What notify does with each event it consumes: keep its state copy, re-plan the customer's
reminders, and raise the event-driven ones at once."""
from __future__ import annotations

from datetime import timedelta

from crm_common.events import parse_time

from .. import state
from . import plan, settings as config, store as reminders

SNAPSHOT_ONLY = ("crm.customer.updated", "crm.customer.qualified", "crm.customer.lifecycle_changed",
                 "crm.customer.won", "crm.customer.lost", "crm.customer.payment_received")
NEW_CONTACT_KEYS = ("phone:", "email:", "wechat:")  # shown to the owner: the contact gave a new way to reach them


def _replan(rt, session, customer_id: str) -> None:
    plan.replan(rt, session, state.customer(rt, session, customer_id))


def snapshot(rt, session, data: dict) -> None:
    state.customer_changed(rt, session, data)
    _replan(rt, session, data["customer_id"])


def created(rt, session, data: dict) -> None:
    state.customer_changed(rt, session, data, owner_since=parse_time(data["created_at"]))
    _replan(rt, session, data["customer_id"])
    reminders.raise_now(rt, session, {"_id": f"customer-created:{data['customer_id']}", "kind": "customer_assigned",
                                      "customer_id": data["customer_id"], "user_id": data["owner_id"]})


def followed_up(rt, session, data: dict) -> None:
    state.followed_up(rt, session, data)
    reminders.cancel(rt, session, {"customer_id": data["customer_id"], "kind": "overdue"})  # done, no escalation
    # the follow-up a stage asked for is done (one scheduled before it; older reminders lack scheduled_at)
    reminders.cancel_with_steps(rt, session, {
        "customer_id": data["customer_id"], "kind": "stage_followup",
        "$or": [{"data.scheduled_at": {"$lte": parse_time(data["followed_up_at"])}},
                {"data.scheduled_at": {"$exists": False}}]})
    _replan(rt, session, data["customer_id"])


def owner_changed(rt, session, data: dict) -> None:
    state.customer_changed(rt, session, data, owner_since=parse_time(data["changed_at"]))
    # the new owner starts afresh: the previous owner's neglect is not escalated as theirs
    reminders.cancel(rt, session, {"customer_id": data["customer_id"], "kind": "overdue"})
    if data.get("to_owner_id"):
        _replan(rt, session, data["customer_id"])
    else:
        plan.cancel_all(rt, session, data["customer_id"])


def contract_signed(rt, session, data: dict) -> None:
    state.contract_signed(rt, session, data)
    _replan(rt, session, data["customer_id"])


def deleted(rt, session, data: dict) -> None:
    state.deleted(rt, session, data)
    plan.cancel_all(rt, session, data["customer_id"])


def stage_changed(rt, session, data: dict) -> None:
    snapshot(rt, session, data)
    # a stage left behind (won, lost or another) no longer asks for its follow-up; only this event moves
    # a stage, so the other customer events need not look
    reminders.cancel_with_steps(rt, session, {"customer_id": data["customer_id"], "kind": "stage_followup",
                                              "data.stage": {"$nin": [data["to"], None]}})
    grade = (state.customer(rt, session, data["customer_id"]) or {}).get("grade")
    if grade in config.reminder_settings(rt, session)["high_value_grades"]:
        reminders.raise_now(rt, session, {
            "_id": f"stage_change:{data['customer_id']}:{data['changed_at']}", "kind": "stage_change",
            "to": "supervisor", "customer_id": data["customer_id"], "user_id": data.get("owner_id"),
            "data": {"from_stage": data.get("from"), "to_stage": data.get("to")}})


def stage_action(rt, session, data: dict) -> None:
    """crm.customer.followup_scheduled: the stage just entered asks for a follow-up by `due_at`."""
    if data.get("owner_id"):
        due = parse_time(data["due_at"])
        reminders.schedule(rt, session, {
            "_id": f"stage:{data['customer_id']}:{data['scheduled_at']}", "kind": "stage_followup",
            "customer_id": data["customer_id"], "user_id": data["owner_id"], "fire_at": due, "due_at": due,
            "data": {"stage": data.get("stage"), "action": data.get("action"), "name": data.get("name"),
                     "scheduled_at": parse_time(data["scheduled_at"])}})


def pool_claimed(rt, session, data: dict) -> None:
    """crm.pool.customer_claimed: the rep who claimed makes the first contact in time, or the pool takes
    the customer back (DOMAIN §3).

    A claim carries its pool's deadline (`first_contact_due_at`, from the pool's first_contact_hours),
    which wins; a claim from an earlier release gets notify's runtime setting `pool_first_contact_hours`.
    """
    at = data["claimed_at"]
    hours = config.reminder_settings(rt, session)["pool_first_contact_hours"]
    due = parse_time(data["first_contact_due_at"]) if data.get("first_contact_due_at") else \
        parse_time(at) + timedelta(hours=hours)
    reminders.raise_now(rt, session, {"_id": f"pool_claimed:{data['customer_id']}:{at}", "kind": "pool_claimed",
                                      "to": "user", "customer_id": data["customer_id"], "user_id": data["owner_id"],
                                      "due_at": due, "data": {"hours": _hours(due - parse_time(at))}})


def pool_assigned(rt, session, data: dict) -> None:
    """crm.pool.customer_assigned: a manager gave the rep a pool customer. No claim deadline applies (the
    pool reclaims a missed first contact after claims only), so the rep is told it is theirs, as for a
    new customer, not warned of a reclaim that will not come."""
    reminders.raise_now(rt, session, {"_id": f"pool_assigned:{data['customer_id']}:{data['assigned_at']}",
                                      "kind": "customer_assigned", "to": "user", "customer_id": data["customer_id"],
                                      "user_id": data["owner_id"]})  # the rep named, whatever notify's copy says yet


def reclaim_warning(rt, session, data: dict) -> None:
    """crm.pool.reclaim_warning: once per lead time (`days_before`) the pool warns before reclaiming."""
    reminders.raise_now(rt, session, {
        "_id": f"reclaim_warning:{data['customer_id']}:{data['reclaim_due_at']}:{data['days_before']}d",
        "kind": "reclaim_warning", "to": "user", "customer_id": data["customer_id"], "user_id": data["owner_id"],
        "due_at": parse_time(data["reclaim_due_at"]), "data": {"days_before": data["days_before"]}})


def reclaimed(rt, session, data: dict) -> None:
    reminders.raise_now(rt, session, {"_id": f"reclaimed:{data['customer_id']}:{data['reclaimed_at']}",
                                      "kind": "customer_reclaimed", "to": "user", "customer_id": data["customer_id"],
                                      "user_id": data["previous_owner_id"], "data": {"reason": data.get("reason")}})


def lead_assigned(rt, session, data: dict) -> None:
    """crm.lead.assigned: the owner responds within `lead_response_hours`, or 1 day later (the overdue
    offset) their supervisor hears of it. A re-assignment starts afresh: the earlier escalation goes."""
    lead_answered(rt, session, data)
    hours = config.reminder_settings(rt, session)["lead_response_hours"]
    reminders.raise_now(rt, session, {"_id": f"lead-assigned:{data['lead_id']}:{data['owner_id']}:{data['assigned_at']}",
                                      "kind": "lead_assigned", "to": "user", "lead_id": data["lead_id"],
                                      "user_id": data["owner_id"],
                                      "due_at": parse_time(data["assigned_at"]) + timedelta(hours=hours),
                                      "data": {"hours": hours}})


def lead_answered(rt, session, data: dict) -> None:
    """crm.lead.contacted, converted, disqualified, merged (`merged_id`): nobody need escalate the lead."""
    reminders.cancel(rt, session, {"lead_id": data.get("lead_id") or data["merged_id"], "kind": "overdue"})


def lead_resubmitted(rt, session, data: dict) -> None:
    if not data.get("owner_id"):
        return  # an unassigned lead has nobody to tell yet
    customer = data["record_kind"] == "customer"
    reminders.raise_now(rt, session, {
        "_id": f"resubmitted:{data['record_id']}:{data['received_at']}", "kind": "lead_resubmitted", "to": "user",
        "customer_id": data["record_id"] if customer else None, "lead_id": None if customer else data["record_id"],
        "user_id": data["owner_id"],
        "data": {"record": data["record_kind"], "channel": data.get("channel") or data.get("channel_id"),
                 "new_contacts": [k for k in data.get("added_keys", []) if k.startswith(NEW_CONTACT_KEYS)]}})


def _hours(span: timedelta) -> float | int:
    hours = round(span / timedelta(hours=1), 1)
    return int(hours) if hours == int(hours) else hours

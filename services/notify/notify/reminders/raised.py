"""The reminders an event raises at once (DOMAIN §4), as pure functions: the event's data in, the
reminder out (None: nobody to tell). Each is keyed by its occurrence, so a redelivered event raises
nothing new; the to-dos among them (a new lead, a pool claim) escalate when neglected (rules.py)."""
from __future__ import annotations

from datetime import timedelta

from crm_common.events import parse_time

NEW_CONTACT_KEYS = ("phone:", "email:", "wechat:")  # shown to the owner: the contact gave a new way to reach them


def customer_created(data: dict) -> dict:
    """crm.customer.created: the owner is told the customer is theirs."""
    return {"_id": f"customer-created:{data['customer_id']}", "kind": "customer_assigned",
            "customer_id": data["customer_id"], "user_id": data["owner_id"]}


def stage_change(data: dict, grade: str | None, high_value_grades: list[str]) -> dict | None:
    """crm.customer.stage_changed of a high-value customer (its grade among `high_value_grades`): the
    owner's supervisor hears of it."""
    if grade not in high_value_grades:
        return None
    return {"_id": f"stage_change:{data['customer_id']}:{data['changed_at']}", "kind": "stage_change",
            "to": "supervisor", "customer_id": data["customer_id"], "user_id": data.get("owner_id"),
            "data": {"from_stage": data.get("from"), "to_stage": data.get("to")}}


def stage_followup(data: dict) -> dict | None:
    """crm.customer.followup_scheduled: the stage just entered asks for a follow-up by `due_at` (kept
    until then, not raised at once; a follow-up after `scheduled_at` answers it)."""
    if not data.get("owner_id"):
        return None
    due = parse_time(data["due_at"])
    return {"_id": f"stage:{data['customer_id']}:{data['scheduled_at']}", "kind": "stage_followup",
            "customer_id": data["customer_id"], "user_id": data["owner_id"], "fire_at": due, "due_at": due,
            "data": {"stage": data.get("stage"), "action": data.get("action"), "name": data.get("name"),
                     "scheduled_at": parse_time(data["scheduled_at"])}}


def pool_claimed(data: dict, hours: int) -> dict:
    """crm.pool.customer_claimed: the rep who claimed makes the first contact in time, or the pool takes
    the customer back (DOMAIN §3).

    A claim carries its pool's deadline (`first_contact_due_at`, from the pool's first_contact_hours),
    which wins; a claim from an earlier release gets notify's setting `pool_first_contact_hours` (`hours`).
    """
    at = data["claimed_at"]
    due = parse_time(data["first_contact_due_at"]) if data.get("first_contact_due_at") else \
        parse_time(at) + timedelta(hours=hours)
    return {"_id": f"pool_claimed:{data['customer_id']}:{at}", "kind": "pool_claimed", "to": "user",
            "customer_id": data["customer_id"], "user_id": data["owner_id"], "due_at": due,
            "data": {"hours": _hours(due - parse_time(at))}}


def pool_assigned(data: dict) -> dict:
    """crm.pool.customer_assigned: a manager gave the rep a pool customer. No claim deadline applies (the
    pool reclaims a missed first contact after claims only), so the rep is told it is theirs, as for a
    new customer, not warned of a reclaim that will not come."""
    return {"_id": f"pool_assigned:{data['customer_id']}:{data['assigned_at']}", "kind": "customer_assigned",
            "to": "user", "customer_id": data["customer_id"],
            "user_id": data["owner_id"]}  # the rep named, whatever notify's copy says yet


def reclaim_warning(data: dict) -> dict:
    """crm.pool.reclaim_warning: once per lead time (`days_before`) the pool warns before reclaiming."""
    return {"_id": f"reclaim_warning:{data['customer_id']}:{data['reclaim_due_at']}:{data['days_before']}d",
            "kind": "reclaim_warning", "to": "user", "customer_id": data["customer_id"], "user_id": data["owner_id"],
            "due_at": parse_time(data["reclaim_due_at"]), "data": {"days_before": data["days_before"]}}


def reclaimed(data: dict) -> dict:
    """crm.pool.customer_reclaimed: the previous owner hears the customer went back to the pool."""
    return {"_id": f"reclaimed:{data['customer_id']}:{data['reclaimed_at']}", "kind": "customer_reclaimed",
            "to": "user", "customer_id": data["customer_id"], "user_id": data["previous_owner_id"],
            "data": {"reason": data.get("reason")}}


def lead_assigned(data: dict, hours: int) -> dict:
    """crm.lead.assigned: the owner responds within `hours` (`lead_response_hours`), or the escalation
    steps begin."""
    return {"_id": f"lead-assigned:{data['lead_id']}:{data['owner_id']}:{data['assigned_at']}",
            "kind": "lead_assigned", "to": "user", "lead_id": data["lead_id"], "user_id": data["owner_id"],
            "due_at": parse_time(data["assigned_at"]) + timedelta(hours=hours), "data": {"hours": hours}}


def lead_resubmitted(data: dict) -> dict | None:
    """crm.lead.resubmitted: the owner of the lead or customer hears they came back, with any new way
    to reach them they offered (the owner is the one to confirm it); an unassigned lead has nobody to tell yet."""
    if not data.get("owner_id"):
        return None
    customer = data["record_kind"] == "customer"
    return {"_id": f"resubmitted:{data['record_id']}:{data['received_at']}", "kind": "lead_resubmitted",
            "to": "user", "customer_id": data["record_id"] if customer else None,
            "lead_id": None if customer else data["record_id"], "user_id": data["owner_id"],
            "data": {"record": data["record_kind"], "channel": data.get("channel") or data.get("channel_id"),
                     "new_contacts": [k for k in data.get("offered_keys", []) + data.get("added_keys", [])
                                      if k.startswith(NEW_CONTACT_KEYS)]}}


def _hours(span: timedelta) -> float | int:
    hours = round(span / timedelta(hours=1), 1)
    return int(hours) if hours == int(hours) else hours


def stage_stay(data: dict) -> dict | None:
    """crm.opportunity.created / stage_changed: an open deal that stays in its stage past the stage's
    expected days (DOMAIN §2, the upper one) reminds the customer's owner, naming the deal. Planned at the
    move, kept until then; the deal's next move, its win or loss cancel it (deals.py)."""
    days = data.get("expected_days") or []
    if data.get("status") != "open" or not days or not data.get("owner_id"):
        return None
    entered = data.get("changed_at") or data["created_at"]
    due = parse_time(entered) + timedelta(days=max(days))
    return {"_id": f"stage_stay:{data['opportunity_id']}:{entered}", "kind": "stage_stay",
            "customer_id": data["customer_id"], "user_id": data["owner_id"], "fire_at": due, "due_at": due,
            "data": {"opportunity_id": data["opportunity_id"], "opportunity": data.get("name"),
                     "deal_stage": data["stage"], "expected_days": max(days), "entered_at": entered}}


def approvals(data: dict, approver_ids: list[str]) -> list[dict]:
    """crm.contract.submitted / approved (not final): the step the contract now waits for, one notice to
    each of its approvers (`approver_ids`: the named ones, or the admins for an admin's step)."""
    awaiting = data.get("awaiting") or {}
    step = awaiting.get("step")
    return [{"_id": f"approval:{data['contract_id']}:{step}:{user_id}:0", "kind": "approval", "to": "user",
             "customer_id": data["customer_id"], "user_id": user_id,
             "data": {"contract_id": data["contract_id"], "title": data.get("title") or data.get("number"),
                      "contract_amount": data.get("amount"), "step": step, "approval_step": 2 if step == "admin" else 1,
                      "occurrence": 0}}
            for user_id in approver_ids]

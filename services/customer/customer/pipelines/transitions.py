"""Entering a stage (DOMAIN §2, 节点): may the customer enter it now, and what entering changes. Pure: no I/O.

`enter` refuses a stage not in the pipeline, the stage the customer is in, and a stage whose
conditions do not hold yet (the missing ones named: a stage is not skipped over unless the exit
conditions of every stage before it hold). A move that may happen comes back as a Transition: the
customer's changed fields, the stage-history record and the events, for progress.py to store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict, Invalid

from ..sales import lifecycle
from . import stages


@dataclass(frozen=True)
class Transition:
    changes: dict   # the customer's fields that change, with their new values
    record: dict    # the stage-history row: from, to, by, at, how long the customer stayed
    events: list    # (type, data) of crm.customer.stage_changed and what entering the stage causes


def target(pipeline: dict, customer: dict, key: str, *, loss_reason: str | None = None) -> dict:
    """The stage `key` of `pipeline`, if `customer` may enter it now (with `loss_reason` given for
    a lost deal); otherwise the refusal that says why."""
    stage = stages.find(pipeline, key)
    if stage is None:
        keys = ", ".join(s["key"] for s in pipeline["stages"])
        raise Invalid("no such stage in the customer's pipeline",
                      errors=[{"field": "stage", "message": f"one of {keys}"}])
    if customer["stage"] == stage["key"]:
        raise Conflict(f"the customer is already in stage {stage['key']}")
    missing = stages.missing_conditions(pipeline, {**customer, **_loss(customer, loss_reason)}, stage["key"])
    if missing:
        raise Conflict(f"stage {stage['key']} cannot be entered yet: {len(missing)} condition(s) missing",
                       missing_conditions=missing, errors=[{"field": m["condition"], "message": m["message"]}
                                                           for m in missing])
    return stage


def enter(pipeline: dict, customer: dict, key: str, *, by: str, now, loss_reason: str | None = None) -> Transition:
    """Move `customer` (a document) into stage `key` at `now`, or refuse (see `target`)."""
    stage = target(pipeline, customer, key, loss_reason=loss_reason)
    previous = customer["stage"]
    after = {**customer, **_loss(customer, loss_reason), "stage": stage["key"], "stage_entered_at": now}
    if stage.get("closes") != "lost":
        after["loss_reason"] = None
    _reclassify(after, pipeline, previous, stage)
    events = [("crm.customer.stage_changed", {
        "from": previous, "to": stage["key"], "pipeline_id": pipeline["_id"], "by": by,
        "changed_at": now.isoformat(), "expected_days": stage.get("expected_days"),
        "expected_rate": stage.get("expected_rate")})]
    events += _entry_actions(after, stage, now)
    if stage.get("closes") == "won":
        events.append(("crm.customer.won", {"order_total": money.text(money.total(after.get("order_total"))),
                                            "by": by, "won_at": now.isoformat()}))
    elif stage.get("closes") == "lost":
        events.append(("crm.customer.lost", {"reason": after["loss_reason"], "by": by, "lost_at": now.isoformat()}))
    record = {"customer_id": customer["_id"], "pipeline_id": pipeline["_id"], "from": previous, "to": stage["key"],
              "by": by, "at": now, "stayed_seconds": stayed(customer, now), "owner_id": customer.get("owner_id"),
              "department_path": customer.get("department_path", [])}
    changes = {k: v for k, v in after.items() if k not in customer or customer[k] != v}
    return Transition(changes, record, events)


def stayed(customer: dict, now) -> float | None:
    """Seconds the customer spent in its current stage, until `now` (None if not known)."""
    entered = customer.get("stage_entered_at")
    return (now - entered).total_seconds() if entered else None


def _loss(customer: dict, loss_reason: str | None) -> dict:
    return {"loss_reason": loss_reason} if loss_reason else {}


def _reclassify(customer: dict, pipeline: dict, previous: str, stage: dict) -> None:
    # a stage skipped over counts as passed for a customer not yet further on: a deal moved straight
    # to proposal has confirmed its demand (a target customer stays a target)
    for passed in stages.passed(pipeline, previous, stage["key"]):
        if passed.get("lifecycle_trigger") and customer.get("lifecycle") in lifecycle.NOT_YET_QUALIFIED:
            customer.update(lifecycle.change(customer, passed["lifecycle_trigger"]))
    if stage.get("lifecycle_trigger"):
        customer.update(lifecycle.change(customer, stage["lifecycle_trigger"]))


def _entry_actions(customer: dict, stage: dict, now) -> list:
    """Stage entry actions, e.g. proposal: follow up in 7 days. notify turns the event into a reminder."""
    events = []
    for action in stage.get("actions", []):
        if action["kind"] == "schedule_followup":
            due = now + timedelta(days=action["days"])
            if customer.get("next_contact_at") is None or customer["next_contact_at"] > due:
                customer["next_contact_at"] = due
            events.append(("crm.customer.followup_scheduled", {
                "due_at": due.isoformat(), "action": action["kind"], "stage": stage["key"],
                "scheduled_at": now.isoformat()}))
    return events

"""Moving a deal through its pipeline: check the conditions, record the transition
with actor and time, run the stage's entry actions, publish won / lost."""
from __future__ import annotations

from datetime import timedelta

from crm_common.kernel import money
from crm_common.errors import Problem
from crm_common.paging import new_id

from . import customers, lifecycle, pipelines, stages


def enter_stage(rt, customer_id: str, body: dict, *, by: str, scope: dict, expected) -> dict:
    def mutate(session, customer):
        pipeline = pipelines.get(rt, customer["pipeline_id"], session)
        target = stages.find(pipeline, body["stage"])
        if target is None:
            keys = ", ".join(s["key"] for s in pipeline["stages"])
            raise Problem(400, "no such stage in the customer's pipeline",
                          errors=[{"field": "stage", "message": f"one of {keys}"}])
        if customer["stage"] == target["key"]:
            raise Problem(409, f"the customer is already in stage {target['key']}")
        if body.get("loss_reason"):
            customer["loss_reason"] = body["loss_reason"]
        missing = stages.missing_conditions(pipeline, customer, target["key"])
        if missing:
            raise Problem(409, f"stage {target['key']} cannot be entered yet: {len(missing)} condition(s) missing",
                          missing_conditions=missing, errors=[{"field": m["condition"], "message": m["message"]}
                                                              for m in missing])
        return _transition(rt, session, customer, target, pipeline, by)
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def _transition(rt, session, customer: dict, target: dict, pipeline: dict, by: str) -> list:
    now, previous = customers.now(rt), customer["stage"]
    rt.db.stage_history.insert_one({
        "_id": new_id(), "customer_id": customer["_id"], "pipeline_id": pipeline["_id"], "from": previous,
        "to": target["key"], "by": by, "at": now, "stayed_seconds": _stayed(customer, now),
        "owner_id": customer.get("owner_id"), "department_path": customer.get("department_path", [])},
        session=session)
    customer["stage"], customer["stage_entered_at"] = target["key"], now
    if target.get("closes") != "lost":
        customer["loss_reason"] = None
    # a stage skipped over counts as passed for a customer not yet further on: a deal moved straight
    # to proposal has confirmed its demand (a target customer stays a target)
    for stage in stages.passed(pipeline, previous, target["key"]):
        if stage.get("lifecycle_trigger") and customer.get("lifecycle") in lifecycle.NOT_YET_QUALIFIED:
            lifecycle.reclassify(customer, stage["lifecycle_trigger"])
    if target.get("lifecycle_trigger"):
        lifecycle.reclassify(customer, target["lifecycle_trigger"])
    events = [("crm.customer.stage_changed", {
        "from": previous, "to": target["key"], "pipeline_id": pipeline["_id"], "by": by,
        "changed_at": now.isoformat(), "expected_days": target.get("expected_days"),
        "expected_rate": target.get("expected_rate")})]
    events += _entry_actions(customer, target, now)
    if target.get("closes") == "won":
        events.append(("crm.customer.won", {"order_total": money.text(money.total(customer.get("order_total"))),
                                            "by": by, "won_at": now.isoformat()}))
    elif target.get("closes") == "lost":
        events.append(("crm.customer.lost", {"reason": customer["loss_reason"], "by": by, "lost_at": now.isoformat()}))
    return events


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


def _stayed(customer: dict, now) -> float | None:
    entered = customer.get("stage_entered_at")
    return (now - entered).total_seconds() if entered else None


def history(rt, customer_id: str) -> list[dict]:
    return list(rt.db.stage_history.find({"customer_id": customer_id}).sort([("at", 1), ("_id", 1)]))

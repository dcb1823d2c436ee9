"""One run of a rule version on one trigger, decided: its status, its condition trace, and each step's
request. The runs capability stores the plan (under the run's unique key) and publishes its requests;
a dry run shows it and does neither.

Statuses: running (every step asked for, answers awaited), completed (every step applied by the service
asked), failed (a step could not be asked for, or was refused or failed where it was applied),
skipped_condition, skipped_loop (the event came from this rule's own runs, or the chain is too deep),
skipped_duplicate (the trigger already ran this version), throttled (the rule hit its rate limit).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import actions, causation, conditions
from .conditions import Facts

RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
SKIPPED_CONDITION, SKIPPED_DUPLICATE, SKIPPED_LOOP, THROTTLED = (
    "skipped_condition", "skipped_duplicate", "skipped_loop", "throttled")
STATUSES = (RUNNING, COMPLETED, FAILED, SKIPPED_CONDITION, SKIPPED_DUPLICATE, SKIPPED_LOOP, THROTTLED)
REQUESTED, STEP_FAILED, NOT_RUN = "requested", "failed", "not_run"
APPLIED, REFUSED = "applied", "refused"  # a step's result as the service asked answered it
KEPT_ON_RETRY = (REQUESTED, APPLIED)  # a retry asks again only for what was not asked or did not apply


@dataclass
class Plan:
    status: str
    conditions: list
    steps: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # the data of each crm.automation.requested to publish
    reason: str | None = None


@dataclass(frozen=True)
class Trigger:
    """What a run is about: the rule version, the trigger's key, the record, and the chain behind the event."""
    rule_id: str
    version: int
    key: str
    kind: str
    record_id: str | None
    chain: tuple = ()          # run ids that caused the event, oldest first
    chain_rules: tuple = ()    # the rules of those runs
    event_id: str | None = None


def plan(run_id: str, trigger: Trigger, spec: dict, facts: Facts, now: datetime) -> Plan:
    """The run of `spec` (a rule version: conditions, actions) on `facts`."""
    loop = causation.loop_reason(trigger.rule_id, list(trigger.chain_rules), len(trigger.chain))
    if loop:
        return Plan(SKIPPED_LOOP, [], reason=loop)
    held, trace = conditions.evaluate(spec.get("conditions"), facts)
    if not held:
        return Plan(SKIPPED_CONDITION, trace)
    out = Plan(RUNNING, trace)
    cause = causation.next_causation(list(trigger.chain), run_id, trigger.event_id)
    for step, action in enumerate(spec["actions"]):
        out.steps.append(_step(out, run_id, step, action, trigger, spec, facts, cause, now))
    return out


def throttled(decided: Plan, limit: int) -> Plan:
    """The run past its rule's rate limit: logged with its trace, asking for nothing."""
    steps = [{**s, "result": NOT_RUN, "attempts": 0} for s in decided.steps]
    return Plan(THROTTLED, decided.conditions, steps, [], f"the rule ran {limit} times this hour, its limit")


def retried(run: dict, spec: dict, facts: Facts, now: datetime) -> Plan:
    """A failed run again: the steps not requested yet are asked for now, from the record as it is now."""
    trigger = Trigger(run["rule_id"], run["version"], run["trigger_key"], run["record"]["kind"],
                      run["record"]["id"], tuple(run.get("chain", [])), (), run.get("event_id"))
    out = Plan(RUNNING, run.get("conditions", []))
    cause = causation.next_causation(list(trigger.chain), run["_id"], trigger.event_id)
    for step, (action, before) in enumerate(zip(spec["actions"], run["steps"])):
        if before["result"] in KEPT_ON_RETRY:
            out.steps.append(before)
            continue
        again = _step(out, run["_id"], step, action, trigger, spec, facts, cause, now)
        out.steps.append({**again, "attempts": before.get("attempts", 0) + (again["attempts"])})
    if out.status != FAILED:
        out.status = settled(out.steps)
    return out


def settled(steps: list[dict]) -> str:
    """A run's status from its steps' results: failed once one failed or was refused, completed once
    every one applied, running while answers are awaited."""
    if any(s["result"] in (STEP_FAILED, REFUSED) for s in steps):
        return FAILED
    return COMPLETED if all(s["result"] == APPLIED for s in steps) else RUNNING


def _step(out: Plan, run_id: str, step: int, action: dict, trigger: Trigger, spec: dict, facts: Facts,
          cause: dict, now: datetime) -> dict:
    request_id = f"{run_id}:{step}"
    row = {"step": step, "type": action["type"], "request_id": request_id, "request": actions.masked(action),
           "applied_by": actions.APPLIED_BY[action["type"]], "attempts": 0, "result": NOT_RUN, "error": None}
    if out.status == FAILED:
        return row  # a step after a failed one waits for the retry
    error = actions.unmet(action, trigger.kind, facts.record)
    row["attempts"] = 1
    if error:
        out.status = FAILED
        return {**row, "result": STEP_FAILED, "error": error}
    rendered = actions.rendered(action, kind=trigger.kind, record_id=trigger.record_id, record=facts.record, now=now)
    out.requests.append({
        "request_id": request_id, "run_id": run_id, "rule_id": trigger.rule_id, "rule_version": trigger.version,
        "step": step, "action": rendered,
        "record": actions.record_ref(trigger.kind, trigger.record_id, facts.record),
        "expected": actions.expected(action, spec.get("conditions"), facts.record),
        "causation": cause, "requested_at": now.isoformat()})
    return {**row, "request": actions.masked(rendered), "result": REQUESTED}

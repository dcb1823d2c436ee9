"""Every consumed event, in its own consumer transaction: the record it is about brought up to date, the
event kept, and each active rule listening on it run once, in priority order. A run and its requests
(crm.automation.requested, one per action) commit together, so a run either asked for all it planned
or for nothing."""
from __future__ import annotations

import logging

from crm_common.events import caused_by, causation_of, contract_types, topic_for
from crm_common.paging import new_id

from ..engine import plan, triggers
from ..engine.conditions import Facts
from ..rules import store as rules
from . import log as runs
from . import records

REQUESTED = "crm.automation.requested"
OWN_TOPIC = "crm.automation"
PAUSE_AFTER_FAILURES = 5
logger = logging.getLogger(__name__)


def handlers(rt) -> dict:
    """One handler for every event type of every topic but the service's own."""
    handle = lambda event, session: on_event(rt, session, event)  # noqa: E731
    return {t: handle for t, _ in contract_types() if topic_for(t) != OWN_TOPIC}


def on_event(rt, session, event: dict) -> None:
    before, after = records.apply(rt, session, event)
    records.keep(rt, session, event)
    facts = Facts(event, after, before)
    kind, record_id = triggers.record_of(event)
    chain, _ = causation_of(event)
    chain_rules = tuple(runs.chain_rules(rt.db, session, chain))
    for rule in rules.active_for(rt.db, session, triggers.keys_of(event)):
        spec = rule["active"]
        if not triggers.matches(spec["trigger"], facts):
            continue
        trigger = plan.Trigger(rule["_id"], spec["version"], event["id"], kind, record_id, tuple(chain),
                               chain_rules, event["id"])
        run(rt, session, trigger, spec, facts, event_type=event["type"])


def run(rt, session, trigger: plan.Trigger, spec: dict, facts: Facts, *, event_type: str | None) -> dict:
    """Run `spec` once for `trigger`: a repeat of a trigger already run is counted, never run again."""
    found = runs.existing(rt.db, session, trigger.rule_id, trigger.version, trigger.key)
    if found is not None:
        runs.count_repeat(rt.db, session, found)
        return found
    run_id, now = new_id(), rt.clock.now()
    decided = plan.plan(run_id, trigger, spec, facts, now)
    row = {"_id": run_id, "rule_id": trigger.rule_id, "version": trigger.version, "trigger_key": trigger.key,
           "event_id": trigger.event_id, "event_type": event_type,
           "record": {"kind": trigger.kind, "id": trigger.record_id}, "record_id": trigger.record_id,
           "chain": list(trigger.chain), "status": decided.status, "conditions": decided.conditions,
           "steps": decided.steps, "reason": decided.reason, "attempts": 1, "at": now}
    runs.insert(rt.db, session, row)
    publish(rt, session, decided.requests)
    count_failures(rt, session, trigger.rule_id, decided.status)
    return row


def publish(rt, session, requests: list[dict]) -> None:
    """Each request keyed by the customer it acts on, so one customer's requests are applied in order."""
    rt.publish(session, *[rt.event(REQUESTED, r["request_id"], r, key=r["record"]["customer_id"] or r["record"]["id"]
                                   or r["run_id"], caused_by=caused_by(r)) for r in requests])


def count_failures(rt, session, rule_id: str, status: str) -> None:
    """A rule failing PAUSE_AFTER_FAILURES runs in a row is paused; crm.rule.deactivated (reason failing)
    tells the admins."""
    if status in (plan.SKIPPED_CONDITION, plan.SKIPPED_LOOP):
        return
    if status != plan.FAILED:
        rt.db[rules.RULES].update_one({"_id": rule_id, "failures_in_a_row": {"$ne": 0}},
                                      {"$set": {"failures_in_a_row": 0}}, session=session)
        return
    rt.db[rules.RULES].update_one({"_id": rule_id}, {"$inc": {"failures_in_a_row": 1}}, session=session)
    rule = rt.db[rules.RULES].find_one({"_id": rule_id}, session=session)
    if rule and rule["failures_in_a_row"] >= PAUSE_AFTER_FAILURES and rule["status"] == rules.ACTIVE:
        logger.warning("rule %s failed %d runs in a row: paused", rule_id, rule["failures_in_a_row"])
        rules.deactivate(rt, rule_id, None, "failing", session=session)


def retry(rt, run_id: str) -> dict:
    """A failed run once more: the steps it did not ask for, from the record as it is now; the steps it
    asked for keep their request ids, so nothing is asked twice."""
    def work(session):
        found = runs.failed(rt.db, run_id, session)
        spec = rules.version(rt.db, found["rule_id"], found["version"])
        kind, record_id = found["record"]["kind"], found["record"]["id"]
        record = (records.current(rt.db, kind, record_id, session) if record_id else None) or {}
        decided = plan.retried(found, spec, Facts({"data": {}}, record, None), rt.clock.now())
        change = {"status": decided.status, "steps": decided.steps, "attempts": found.get("attempts", 1) + 1}
        rt.db[runs.RUNS].update_one({"_id": run_id}, {"$set": change}, session=session)
        publish(rt, session, decided.requests)
        count_failures(rt, session, found["rule_id"], decided.status)
        return {**found, **change}
    return rt.transaction(work)

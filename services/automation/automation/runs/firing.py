"""Every consumed event, in its own consumer transaction: the record it is about brought up to date, the
event kept, and each active rule listening on it run once, in priority order. A run and its requests
(crm.automation.requested, one per action) commit together, so a run either asked for all it planned
or for nothing."""
from __future__ import annotations

from crm_common import outbox
from crm_common.events import caused_by, causation_of, contract_types, topic_for
from crm_common.paging import new_id

from ..engine import causation, plan, triggers
from ..engine.conditions import Facts
from ..rules import store as rules
from . import answers, pausing, records, stats, throttle
from . import log as runs

REQUESTED, APPLIED = "crm.automation.requested", "crm.automation.applied"
OWN_TOPIC = "crm.automation"


def handlers(rt) -> dict:
    """One handler for every event type of every topic but the service's own, and the answers to its requests."""
    handle = lambda event, session: on_event(rt, session, event)  # noqa: E731
    out = {t: handle for t, _ in contract_types() if topic_for(t) != OWN_TOPIC}
    out[APPLIED] = lambda event, session: answers.on_applied(rt, session, event["data"])
    return out


def on_event(rt, session, event: dict) -> None:
    """An event whose conditions fail for a rule is counted for that rule (runs/stats.py), not logged as a
    run: at a thousand rules that would be a write per rule per event. Its trace is a dry run away, on
    the event, kept 30 days. Every rule that fires, or that stops as a loop, is logged."""
    before, after = records.apply(rt, session, event)
    seen_before = records.keep(rt, session, event)
    facts = Facts(event, after, before)
    matching = [r for r in rules.active_for(rt.db, session, triggers.keys_of(event))
                if triggers.matches(r["active"]["trigger"], facts)]
    if not matching:
        return
    kind, record_id = triggers.record_of(event)
    chain, _ = causation_of(event)
    chain_rules = tuple(runs.chain_rules(rt.db, session, chain))
    now, decided, skipped = rt.clock.now(), [], []
    for rule in matching:
        # Most rules' conditions fail: asked without a trace or a run id; a rule that runs (or stops as
        # a loop) is planned whole below, its trace with it.
        if not causation.loop_reason(rule["_id"], chain_rules, len(chain)) and not rules.holds(rule)(facts):
            skipped.append(rule["_id"])
            continue
        spec, run_id = rule["active"], new_id()
        trigger = plan.Trigger(rule["_id"], spec["version"], event["id"], kind, record_id, tuple(chain),
                               chain_rules, event["id"])
        planned = plan.plan(run_id, trigger, spec, facts, now)
        if planned.status == plan.SKIPPED_CONDITION:
            skipped.append(rule["_id"])
        else:
            decided.append((trigger, run_id, planned))
    stats.skipped(rt.db, session, skipped, now)
    if not decided:
        return
    # An event this service never kept cannot have run a rule yet: no read. Otherwise one read for
    # all the rules; the unique index on the runs stays the backstop against a race.
    ran = runs.ran_on(rt.db, session, event["id"], [t.rule_id for t, _, _ in decided]) if seen_before else {}
    for trigger, run_id, planned in decided:
        found = ran.get((trigger.rule_id, trigger.version))
        if found is not None:
            runs.count_repeat(rt.db, session, found)
        else:
            record(rt, session, trigger, run_id, planned, event["type"], now)


def run(rt, session, trigger: plan.Trigger, spec: dict, facts: Facts, *, event_type: str | None) -> dict:
    """Run `spec` once for `trigger` (a time anchor, an enrolled record), logged whatever its status: a
    repeat of a trigger already run is counted, never run again."""
    found = runs.existing(rt.db, session, trigger.rule_id, trigger.version, trigger.key)
    if found is not None:
        runs.count_repeat(rt.db, session, found)
        return found
    run_id, now = new_id(), rt.clock.now()
    return record(rt, session, trigger, run_id, plan.plan(run_id, trigger, spec, facts, now), event_type, now)


def record(rt, session, trigger: plan.Trigger, run_id: str, decided: plan.Plan, event_type, now) -> dict:
    """The run logged and its requests published, in the caller's transaction (none past the rule's
    rate limit: the run is then throttled)."""
    if decided.requests and not throttle.allowed(rt.db, session, trigger.rule_id, now):
        decided = plan.throttled(decided, throttle.MAX_RUNS_PER_HOUR)
    row = {"_id": run_id, "rule_id": trigger.rule_id, "version": trigger.version, "trigger_key": trigger.key,
           "event_id": trigger.event_id, "event_type": event_type,
           "record": {"kind": trigger.kind, "id": trigger.record_id}, "record_id": trigger.record_id,
           "chain": list(trigger.chain), "status": decided.status, "conditions": decided.conditions,
           "steps": decided.steps, "reason": decided.reason, "attempts": 1, "at": now}
    runs.insert(rt.db, session, row)
    publish(rt, session, decided.requests, first=True)
    pausing.count(rt, session, trigger.rule_id, decided.status)
    return row


def publish(rt, session, requests: list[dict], *, first: bool = False) -> None:
    """Each request keyed by the customer it acts on, so one customer's requests are applied in order.
    `first`: a new run's requests, each the first event of its request id, written with the consumer
    batch's other writes; a retry asks again under the same ids, through the outbox's counters."""
    events = [rt.event(REQUESTED, r["request_id"], r, key=r["record"]["customer_id"] or r["record"]["id"]
                       or r["run_id"], caused_by=caused_by(r)) for r in requests]
    if first:
        outbox.add_first(rt.db, session, events, rt.clock.now())
    else:
        rt.publish(session, *events)


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
        pausing.count(rt, session, found["rule_id"], decided.status)
        return {**found, **change}
    return rt.transaction(work)

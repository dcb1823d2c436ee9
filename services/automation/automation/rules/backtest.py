"""A rule tried on the past: its latest version (the draft) replayed over the events this service kept
in the last N days, the records rebuilt from them as they were at each moment, doing nothing. It
answers how many runs would have fired, per day, samples of them, the tasks and notices they would
have asked for, and warnings of loops (events its own runs caused, actions that trigger it again)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from croniter import croniter

from crm_common.events import causation_of

from ..engine import causation, plan, timing, triggers
from ..engine.actions import masked
from ..engine.conditions import Facts
from ..runs import log as runs
from ..runs import records
from . import store

SAMPLES, LISTED = 5, 50  # runs shown in full; tasks and notices listed (all are counted)
MAX_TICKS = 5000  # a schedule's ticks replayed (a cron firing every minute for 30 days is 43,200)


def backtest(rt, rule_id: str, days: int) -> dict:
    rule = store.version(rt.db, rule_id, store.get(rt.db, rule_id)["version"])
    now = rt.clock.now()
    start = now - timedelta(days=days)
    tally = _Tally(rule_id, rule)
    states: dict[str, list] = {}  # record key -> [(time, state)], for time triggers
    chain_rules_of = {}
    for event in records.kept_since(rt.db, start.isoformat()):
        tally.replayed += 1
        kind, record_id = triggers.record_of(event)
        history = states.setdefault(records.key(kind, record_id), []) if record_id else None
        before = history[-1][1] if history else None
        after = records.folded(event, before) if record_id and event["type"].split(".")[1] == kind \
            else dict(before or {})
        if history is not None:
            history.append((timing.moment(event.get("time")) or now, after))
        if timing_only(rule):
            continue
        facts = Facts(event, after, before)
        if not triggers.matches(rule["trigger"], facts):
            continue
        chain = causation_of(event)[0]
        if chain and tuple(chain) not in chain_rules_of:
            chain_rules_of[tuple(chain)] = tuple(runs.chain_rules(rt.db, None, chain))
        trigger = plan.Trigger(rule_id, rule["version"], event["id"], kind, record_id, tuple(chain),
                               chain_rules_of.get(tuple(chain), ()), event["id"])
        tally.run(trigger, facts, timing.moment(event.get("time")) or now, event)
    if rule["trigger"]["type"] == "schedule":
        _ticks(tally, rule, start, now)
    elif timing_only(rule):
        _anchors(tally, rule, states, start, now)
    return tally.answer(days)


def timing_only(rule: dict) -> bool:
    return rule["trigger"]["type"] in timing.TIME_TRIGGERS


def _anchors(tally, rule: dict, states: dict, start, now) -> None:
    """Each record's anchor while each of its states held: fired if it came in the window then."""
    trigger = rule["trigger"]
    for key, history in states.items():
        kind, record_id = key.split(":", 1)
        if kind != trigger["record"]:
            continue
        for n, (since, state) in enumerate(history):
            until = history[n + 1][0] if n + 1 < len(history) else now
            at = timing.anchor(trigger, state)
            if at is not None and max(since, start) <= at <= until and at <= now:
                run_key = timing.trigger_key(kind, record_id, at)
                event = {"id": None, "type": f"time:{trigger['type']}", "data": {"anchor": at.isoformat()}}
                tally.run(plan.Trigger(tally.rule_id, rule["version"], run_key, kind, record_id),
                          Facts(event, state, None), at, event)


def _ticks(tally, rule: dict, start, now) -> None:
    ticks = croniter(rule["trigger"]["cron"], start)
    for _ in range(MAX_TICKS):
        at = ticks.get_next(datetime)
        if at > now:
            return
        event = {"id": None, "type": "time:schedule", "data": {"anchor": at.isoformat()}}
        tally.run(plan.Trigger(tally.rule_id, rule["version"], timing.trigger_key("none", None, at), "none", None),
                  Facts(event, {}, None), at, event)


class _Tally:
    def __init__(self, rule_id: str, rule: dict):
        self.rule_id, self.rule = rule_id, rule
        self.replayed, self.per_day, self.statuses, self.kinds = 0, Counter(), Counter(), Counter()
        self.samples, self.tasks, self.notices, self.loops = [], [], [], []

    def run(self, trigger: plan.Trigger, facts: Facts, at, event: dict) -> None:
        decided = plan.plan(f"backtest-{sum(self.statuses.values()) + 1}", trigger, self.rule, facts, at)
        self.statuses[decided.status] += 1
        if decided.status == plan.SKIPPED_LOOP:
            self.loops.append(f"{event.get('type')} {event.get('id')}: {decided.reason}")
            return
        if decided.status == plan.SKIPPED_CONDITION:
            return
        self.per_day[at.date().isoformat()] += 1
        for request in decided.requests:
            action = masked(request["action"])
            self.kinds[action["type"]] += 1
            shown = {**{k: action.get(k) for k in ("title", "assignee", "due_at", "related", "to", "message")
                        if k in action}, "record": request["record"], "at": at.isoformat()}
            if action["type"] == "create_task" and len(self.tasks) < LISTED:
                self.tasks.append(shown)
            elif action["type"] == "notify" and len(self.notices) < LISTED:
                self.notices.append(shown)
        if len(self.samples) < SAMPLES:
            self.samples.append({"trigger_key": trigger.key, "event_id": event.get("id"), "event_type": event.get("type"),
                                 "record": {"kind": trigger.kind, "id": trigger.record_id}, "at": at.isoformat(),
                                 "status": decided.status, "conditions": decided.conditions, "steps": decided.steps})

    def answer(self, days: int) -> dict:
        fired = sum(self.per_day.values())
        warnings = causation.self_triggering(self.rule["trigger"], self.rule["actions"])
        if self.loops:
            warnings.append(f"{len(self.loops)} events would have been skipped as loops, e.g. {self.loops[0]}")
        return {"rule_id": self.rule_id, "version": self.rule["version"], "days": days,
                "events_replayed": self.replayed, "fired": fired,
                "per_day": [{"day": d, "fired": n} for d, n in sorted(self.per_day.items())],
                "statuses": dict(self.statuses), "requests": dict(self.kinds),
                "samples": self.samples, "tasks": self.tasks, "notices": self.notices, "loop_warnings": warnings}

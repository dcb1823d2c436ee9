"""A rule tried before it acts: a dry run of its latest version (the draft) on a kept event or on a
record as it is now, rendering its actions without asking for them; and, on activation, the records
that already match enrolled (each run once, as if its trigger had fired)."""
from __future__ import annotations

from crm_common.kernel.refusals import NotFound
from crm_common.paging import new_id

from ..engine import plan, triggers
from ..engine.actions import masked
from ..engine.conditions import Facts, evaluate
from ..runs import firing, records
from ..runs import log as runs
from . import store

ENROLL_LIMIT = 10_000  # records enrolled by one activation; more wait for their own events
NO_EVENT = {"id": None, "type": "none", "subject": "", "data": {}}


def dry_run(rt, rule_id: str, body: dict) -> dict:
    rule = store.version(rt.db, rule_id, store.get(rt.db, rule_id)["version"])
    if "event_id" in body:
        event = records.kept(rt.db, body["event_id"])
        if event is None:
            raise NotFound.field("event_id", "not kept", "no such event among those kept (the last 30 days)")
        kind, record_id = triggers.record_of(event)
        record = (records.current(rt.db, kind, record_id) if record_id else None) or dict(event.get("data") or {})
        facts = Facts(event, record, None)
        matched = triggers.matches(rule["trigger"], facts)
    else:
        kind, record_id = body["record"]["kind"], body["record"]["id"]
        record = records.current(rt.db, kind, record_id)
        if record is None:
            raise NotFound.field("record.id", "not known", f"no such {kind} among the records this service keeps")
        event, matched = NO_EVENT, True
        facts = Facts(event, record, None)
    trigger = plan.Trigger(rule_id, rule["version"], "dry-run", kind, record_id, event_id=event["id"])
    decided = plan.plan("dry-run", trigger, rule, facts, rt.clock.now())
    return {"rule_id": rule_id, "version": rule["version"], "matched": matched,
            "status": decided.status if matched else "not_triggered", "conditions": decided.conditions,
            "steps": decided.steps, "reason": decided.reason,
            "requests": [{**r, "action": masked(r["action"])} for r in decided.requests]}


def enrolled_kind(trigger: dict) -> str | None:
    """The kind of record a trigger is about, whose current records activation may enroll."""
    if trigger["type"] == "transition":
        return trigger["record"]
    aggregate = trigger.get("event_type", "..").split(".")[1]
    return aggregate if aggregate in triggers.RECORD_AGGREGATES else None


def enroll(rt, rule: dict) -> int:
    """Run the active version once for each record of its kind whose conditions hold now."""
    spec, kind = rule["active"], enrolled_kind(rule["active"]["trigger"])
    if kind is None:
        return 0
    count, after = 0, None
    while count < ENROLL_LIMIT:
        batch = records.of_kind(rt.db, kind, after=after)
        if not batch:
            break
        after = batch[-1]["_id"]
        due = [r for r in batch if evaluate(spec.get("conditions"), Facts(NO_EVENT, r["data"], None))[0]]

        def work(session, due=due):
            ran = runs.records_ran(rt.db, session, rule["_id"], spec["version"], [r["record_id"] for r in due])
            for stored in due:
                trigger = plan.Trigger(rule["_id"], spec["version"], f"enroll:{stored['_id']}", kind,
                                       stored["record_id"])
                if stored["record_id"] in ran and not runs.existing(rt.db, session, rule["_id"], spec["version"],
                                                                    trigger.key):
                    # reactivated: this version already ran for the record (on one of its events)
                    firing.record(rt, session, trigger, new_id(), plan.Plan(
                        plan.SKIPPED_DUPLICATE, [], reason="this version already ran for the record"), None,
                        rt.clock.now())
                    continue
                firing.run(rt, session, trigger, spec, Facts(NO_EVENT, stored["data"], None), event_type=None)
        if due:
            rt.transaction(work)
        count += len(due)
    return count

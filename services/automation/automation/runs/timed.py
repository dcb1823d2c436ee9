"""The scheduled job `time-triggers`: each active time rule fired for what has come due, once per anchor.

It reads the records this service keeps (customers, opportunities, leads as their events left them),
only those whose date field says they can be due by now, in batches of BATCH, each batch's runs in one
transaction. An anchor that already ran is passed over before it is run (the unique index on rule
version and trigger key is the backstop), so the job can run as often as it likes and the repeats count
stays a count of redeliveries."""
from __future__ import annotations

from crm_common import scheduler

from ..engine import plan, timing
from ..engine.conditions import Facts
from ..rules import store as rules
from . import firing
from . import log as runs
from . import records

BATCH = 200
EVERY_SECONDS = 60
LISTENS = [f"time:{t}" for t in timing.TIME_TRIGGERS]


def fire_due(rt) -> dict:
    """Scheduled job `time-triggers`, run under a lease by one replica at a time: runs fired per rule id."""
    now, fired = rt.clock.now(), {}
    for rule in rules.active_for(rt.db, None, LISTENS):
        scheduler.check()  # a replica that lost the lease fires no more
        spec, since = rule["active"], timing.moment(rule["active"].get("since"))
        if spec["trigger"]["type"] == "schedule":
            count = _schedule(rt, rule["_id"], spec, now, since)
        else:
            count = _records(rt, rule["_id"], spec, now, since)
        if count:
            fired[rule["_id"]] = count
    return fired


def _schedule(rt, rule_id: str, spec: dict, now, since) -> int:
    tick = timing.latest_tick(spec["trigger"]["cron"], now, since)
    if tick is None:
        return 0
    due = [("none", None, {}, tick)]
    return _fire(rt, rule_id, spec, due)


def _records(rt, rule_id: str, spec: dict, now, since) -> int:
    trigger = spec["trigger"]
    field, bound = timing.due_before(trigger, now)
    query = {"kind": trigger["record"], "deleted": False, f"data.{field}": {"$lte": bound}}
    if trigger["type"] == "inactivity":  # never active: counted from when it was first heard of
        query.pop(f"data.{field}")
        query["$or"] = [{f"data.{field}": {"$lte": bound}},
                        {f"data.{field}": None, f"data.{timing.FIRST_SEEN}": {"$lte": bound}}]
    count, after = 0, None
    while True:
        page = {**query, **({"_id": {"$gt": after}} if after else {})}
        batch = list(rt.db[records.RECORDS].find(page).sort("_id", 1).limit(BATCH))
        if not batch:
            return count
        after = batch[-1]["_id"]
        due = [(trigger["record"], r["record_id"], r["data"], at) for r in batch
               if (at := timing.due(trigger, r["data"], now, since)) is not None]
        count += _fire(rt, rule_id, spec, due)
        scheduler.check()


def _fire(rt, rule_id: str, spec: dict, due: list) -> int:
    keyed = {timing.trigger_key(kind, record_id, at): (kind, record_id, record, at) for kind, record_id, record, at in due}
    ran = runs.ran_keys(rt.db, rule_id, spec["version"], list(keyed))
    todo = {key: found for key, found in keyed.items() if key not in ran}
    if not todo:
        return 0

    def work(session):
        for key, (kind, record_id, record, at) in todo.items():
            event = {"id": None, "type": f"time:{spec['trigger']['type']}", "data": {"anchor": at.isoformat()}}
            trigger = plan.Trigger(rule_id, spec["version"], key, kind, record_id)
            firing.run(rt, session, trigger, spec, Facts(event, record, None), event_type=event["type"])
    rt.transaction(work)
    return len(todo)

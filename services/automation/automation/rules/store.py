"""Rules and their versions. Creating a rule makes draft version 1; every edit makes the next version,
a draft; activating makes the latest version the one active version (the runs use only it), until
the rule is deactivated or another version is activated. Every change is audited (crm_common.audit)."""
from __future__ import annotations

import threading

from pymongo import ASCENDING, IndexModel

from crm_common import audit, concurrency
from crm_common.events import contract_types
from crm_common.kernel.refusals import Conflict, Invalid, NotFound
from crm_common.paging import new_id

from ..engine import actions, conditions, schema, timing, triggers

RULES, VERSIONS = "rules", "rule_versions"
DRAFT, ACTIVE, INACTIVE, PAUSED = "draft", "active", "inactive", "paused"
DEFAULT_PRIORITY = 100
CONTENT = ("name", "priority", "trigger", "conditions", "actions")
INDEXES = {
    RULES: [IndexModel([("status", ASCENDING), ("listens", ASCENDING), ("active.priority", ASCENDING)])],
    VERSIONS: [IndexModel([("rule_id", ASCENDING), ("version", ASCENDING)], unique=True)],
}


def event_types() -> list[str]:
    """The event types a rule may be triggered by: every contract but the service's own requests."""
    return sorted({t for t, _ in contract_types() if not t.startswith(("crm.automation.", "crm.rule."))})


def check(body: dict, *, partial: bool = False) -> None:
    found = schema.problems(schema.rule_schema(event_types(), partial=partial), body)
    trigger = body.get("trigger") if isinstance(body, dict) else None
    if not found and isinstance(trigger, dict) and trigger.get("type") == "schedule" \
            and not timing.valid_cron(trigger["cron"]):
        found = [{"field": "trigger.cron", "message": "not a five-field cron expression (minute hour day month weekday)"}]
    if found:
        raise Invalid("the rule has invalid fields", errors=found)


def _content(body: dict) -> dict:
    return {"name": body["name"], "priority": body.get("priority", DEFAULT_PRIORITY), "trigger": body["trigger"],
            "conditions": body.get("conditions") or {"all": []}, "actions": body["actions"]}


def create(rt, body: dict, by: str) -> dict:
    check(body)
    rule_id, now = new_id(), rt.clock.now()
    content = _content(body)
    rule = {"_id": rule_id, **content, "status": DRAFT, "version": 1, "active_version": None, "active": None,
            "listens": [], "failures_in_a_row": 0, "created_at": now, "updated_at": now, "created_by": by}

    def work(session):
        rt.db[RULES].insert_one(rule, session=session)
        _new_version(rt, session, rule_id, 1, content, by, now)
        audit.record(rt, session, "rule", rule_id, None, view(rule))
        return view(rule)
    return rt.transaction(work)


def edit(rt, rule_id: str, patch: dict, expected, by: str) -> dict:
    """The next version, a draft: the latest one with `patch` applied (If-Match: the latest version)."""
    check(patch, partial=True)
    content = {**{k: v for k, v in _stored(rt.db, rule_id).items() if k in CONTENT}, **patch}
    check(_content(content))

    def work(session):
        rule = _stored(rt.db, rule_id, session)
        concurrency.check(rule, expected)
        version, now = rule["version"] + 1, rt.clock.now()
        _new_version(rt, session, rule_id, version, _content(content), by, now)
        after = {**rule, **_content(content), "version": version, "updated_at": now}
        rt.db[RULES].update_one({"_id": rule_id, "version": rule["version"]},
                                {"$set": {**_content(content), "version": version, "updated_at": now}}, session=session)
        audit.record(rt, session, "rule", rule_id, view(rule), view(after))
        return view(after)
    return rt.transaction(work)


def activate(rt, rule_id: str, existing: str, by: str) -> dict:
    def work(session):
        rule = _stored(rt.db, rule_id, session)
        if rule["trigger"]["type"] not in triggers.EVALUATED:
            raise Conflict(f"{rule['trigger']['type']} triggers are not evaluated yet; only "
                           f"{' and '.join(triggers.EVALUATED)} triggers can be activated",
                           reason="trigger_not_evaluated", errors=[{"field": "trigger.type", "message": "not evaluated yet"}])
        now = rt.clock.now()
        # A time trigger fires from now on for what comes due, or (enroll) for what is due already.
        active = {"version": rule["version"], **{k: rule[k] for k in CONTENT},
                  "since": now if existing == "ignore" else None}
        change = {"status": ACTIVE, "active_version": rule["version"], "active": active, "failures_in_a_row": 0,
                  "listens": triggers.listens(rule["trigger"]), "updated_at": now}
        rt.db[RULES].update_one({"_id": rule_id}, {"$set": change}, session=session)
        rt.db[VERSIONS].update_many({"rule_id": rule_id, "state": ACTIVE}, {"$set": {"state": "retired"}}, session=session)
        rt.db[VERSIONS].update_one({"rule_id": rule_id, "version": rule["version"]},
                                   {"$set": {"state": ACTIVE, "activated_at": now}}, session=session)
        changed(rt.db, session)
        after = {**rule, **change}
        audit.record(rt, session, "rule", rule_id, view(rule), view(after))
        rt.publish(session, rt.event("crm.rule.activated", rule_id, {
            "rule_id": rule_id, "name": rule["name"], "rule_version": rule["version"], "priority": rule["priority"],
            "trigger": rule["trigger"], "existing": existing, "by": by, "activated_at": now.isoformat()}))
        return after
    return rt.transaction(work)


def deactivate(rt, rule_id: str, by: str | None, reason: str = "admin", session=None) -> dict:
    def work(session):
        rule = _stored(rt.db, rule_id, session)
        now = rt.clock.now()
        change = {"status": PAUSED if reason == "failing" else INACTIVE, "active": None, "active_version": None,
                  "listens": [], "updated_at": now}
        rt.db[RULES].update_one({"_id": rule_id}, {"$set": change}, session=session)
        rt.db[VERSIONS].update_many({"rule_id": rule_id, "state": ACTIVE}, {"$set": {"state": "retired"}}, session=session)
        changed(rt.db, session)
        after = {**rule, **change}
        audit.record(rt, session, "rule", rule_id, view(rule), view(after), actor=by or "system")
        rt.publish(session, rt.event("crm.rule.deactivated", rule_id, {
            "rule_id": rule_id, "name": rule["name"], "rule_version": rule.get("active_version"), "reason": reason,
            "by": by, "deactivated_at": now.isoformat()}))
        return view(after)
    return work(session) if session is not None else rt.transaction(work)


def _new_version(rt, session, rule_id: str, version: int, content: dict, by: str, now) -> None:
    rt.db[VERSIONS].insert_one({"_id": f"{rule_id}:{version}", "rule_id": rule_id, "version": version, **content,
                                "state": DRAFT, "created_at": now, "created_by": by}, session=session)


def _stored(db, rule_id: str, session=None) -> dict:
    rule = db[RULES].find_one({"_id": rule_id}, session=session)
    if rule is None:
        raise NotFound("no such rule")
    return rule


def get(db, rule_id: str) -> dict:
    return view(_stored(db, rule_id))


def versions(db, rule_id: str) -> list[dict]:
    _stored(db, rule_id)
    return [shown(v) for v in db[VERSIONS].find({"rule_id": rule_id}).sort("version", 1)]


def version(db, rule_id: str, number: int) -> dict:
    found = db[VERSIONS].find_one({"_id": f"{rule_id}:{number}"})
    if found is None:
        raise NotFound("no such rule version")
    return found


def active_for(db, session, keys: list[str]) -> list[dict]:
    """The active rules whose trigger listens on any of `keys`, in their run order (priority, then id).

    In a consumer transaction they come from memory: the active rules by key, read again only when a
    rule was activated or deactivated since (`changed`), so an event costs a dictionary lookup, not a
    query, however many rules are active; a rule paused in the batch is dropped from it at once."""
    if session is None:
        found = db[RULES].find({"status": ACTIVE, "listens": {"$in": keys}}, {"active": 1})
        return sorted(found, key=_run_order)
    by_key = _batch_rules(db, session)
    lists = [by_key[key] for key in keys if key in by_key]
    if len(lists) < 2:
        return list(lists[0]) if lists else []  # each kept in run order
    found = {r["_id"]: r for rules in lists for r in rules}
    return sorted(found.values(), key=_run_order)


def _run_order(rule: dict) -> tuple:
    return rule["active"]["priority"], rule["_id"]


def holds(rule: dict):
    """The active version's conditions as a check of the facts (engine.conditions.compiled), made once
    per rule version."""
    key = (rule["_id"], rule["active"]["version"])
    if key not in _compiled:
        _compiled[key] = conditions.compiled(rule["active"].get("conditions"))
    return _compiled[key]


# Which active rules there are changes with a stamp (a new id each time), written in the transaction
# that activates or deactivates a rule; a consumer batch reads the stamp, not the thousand rules.
STAMPS, STAMP_ID = "rule_stamps", "active"
_batch = threading.local()  # per consumer thread: the transaction's session and its active rules by key
_loaded: dict = {}          # database name -> (stamp, active rules by key) as last read
_compiled: dict = {}        # (rule id, version) -> its compiled conditions


def changed(db, session) -> None:
    db[STAMPS].update_one({"_id": STAMP_ID}, {"$set": {"stamp": new_id()}}, upsert=True, session=session)
    _forget(session)


def _batch_rules(db, session) -> dict:
    if getattr(_batch, "session", None) is not session:
        _batch.session, _batch.by_key = session, _current(db, session)
    return _batch.by_key


def _current(db, session) -> dict:
    found = db[STAMPS].find_one({"_id": STAMP_ID}, session=session)
    stamp = found and found["stamp"]
    loaded = _loaded.get(db.name)
    if stamp and loaded and loaded[0] == stamp:
        return loaded[1]
    by_key: dict = {}
    for rule in db[RULES].find({"status": ACTIVE}, {"active": 1, "listens": 1}, session=session):
        for key in rule.get("listens") or []:
            by_key.setdefault(key, []).append(rule)
    for rules in by_key.values():
        rules.sort(key=_run_order)
    if not stamp:  # none activated since stamps were kept: stamped now, with the rules as this batch read them
        stamp = new_id()
        db[STAMPS].update_one({"_id": STAMP_ID}, {"$set": {"stamp": stamp}}, upsert=True, session=session)
    _loaded[db.name] = (stamp, by_key)
    return by_key


def _forget(session) -> None:
    if getattr(_batch, "session", None) is session:
        _batch.session, _batch.by_key = None, {}


def shown(content: dict) -> dict:
    """Rule content as answers, the run log and the audit show it: a webhook's secret never shown."""
    return {**content, "actions": [actions.masked(a) for a in content.get("actions", [])]}


def view(rule: dict) -> dict:
    return shown({"id": rule["_id"], **{k: rule[k] for k in CONTENT}, "status": rule["status"],
                  "version": rule["version"], "active_version": rule.get("active_version"),
                  "created_at": rule["created_at"], "updated_at": rule["updated_at"]})

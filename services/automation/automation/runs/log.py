"""The run log: one run per (rule version, trigger key), under a unique index, so a redelivered event,
a rerun or two consumers racing make one run and one request per action. Runs are kept RUN_DAYS."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from crm_common import batching
from crm_common.clock import utcnow
from crm_common.kernel.refusals import Conflict, NotFound

RUNS = "runs"
RUN_DAYS = 90
INDEXES = {RUNS: [
    IndexModel([("rule_id", ASCENDING), ("version", ASCENDING), ("trigger_key", ASCENDING)], unique=True),
    IndexModel([("rule_id", ASCENDING), ("_id", ASCENDING)]),
    IndexModel([("trigger_key", ASCENDING)]),
    IndexModel([("record_id", ASCENDING), ("_id", ASCENDING)]),
    IndexModel([("status", ASCENDING), ("_id", ASCENDING)]),
    IndexModel([("kept_at", ASCENDING)], expireAfterSeconds=RUN_DAYS * 86400),
]}


def existing(db, session, rule_id: str, version: int, trigger_key: str) -> dict | None:
    return db[RUNS].find_one({"rule_id": rule_id, "version": version, "trigger_key": trigger_key}, session=session)


def ran_keys(db, rule_id: str, version: int, keys: list[str]) -> set[str]:
    """Which of these trigger keys this rule version already ran."""
    found = db[RUNS].find({"rule_id": rule_id, "version": version, "trigger_key": {"$in": keys}}, {"trigger_key": 1})
    return {r["trigger_key"] for r in found}


def ran_on(db, session, event_id: str, rule_ids: list[str]) -> dict:
    """(rule id, version) -> the run an event already triggered, for these rules."""
    found = db[RUNS].find({"trigger_key": event_id, "rule_id": {"$in": rule_ids}}, session=session)
    return {(r["rule_id"], r["version"]): r for r in found}


def records_ran(db, session, rule_id: str, version: int, record_ids: list[str]) -> set[str]:
    """Which of these records this rule version already ran for, on any trigger."""
    found = db[RUNS].find({"record_id": {"$in": record_ids}, "rule_id": rule_id, "version": version},
                          {"record_id": 1}, session=session)
    return {r["record_id"] for r in found}


def count_repeat(db, session, run: dict) -> None:
    """The trigger came again (a redelivery, a rerun): the run says so, and nothing is asked twice."""
    db[RUNS].update_one({"_id": run["_id"]}, {"$inc": {"repeats": 1}}, session=session)


def insert(db, session, run: dict) -> None:
    """Written with the consumer batch's other writes (crm_common.batching): one bulk write a batch. A
    second run of the same trigger still fails there, on the unique index, and the batch is retried."""
    # Kept on wall time: a demo moving the business clock must not expire the log early.
    batching.replace(db, session, RUNS, {**run, "repeats": 0, "kept_at": utcnow()})


def chain_rules(db, session, run_ids: list[str]) -> list[str]:
    """The rules of the runs that caused an event."""
    if not run_ids:
        return []
    return [r["rule_id"] for r in db[RUNS].find({"_id": {"$in": run_ids}}, {"rule_id": 1}, session=session)]


def get(db, run_id: str, session=None) -> dict:
    run = db[RUNS].find_one({"_id": run_id}, session=session)
    if run is None:
        raise NotFound("no such run")
    return run


def failed(db, run_id: str, session) -> dict:
    run = get(db, run_id, session)
    if run["status"] != "failed":
        raise Conflict(f"only a failed run can be retried; this one is {run['status']}", reason="not_failed")
    return run


def view(run: dict) -> dict:
    return {"id": run["_id"], **{k: run.get(k) for k in (
        "rule_id", "version", "trigger_key", "status", "steps", "conditions", "event_id", "event_type", "record",
        "chain", "reason", "repeats", "attempts", "at")}}

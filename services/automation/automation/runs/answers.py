"""The answers of the services asked (crm.automation.applied): each step's result, error and what it made
recorded on its run. A run with a step refused or failed is failed (and counts towards pausing its
rule); it is completed once every step applied."""
from __future__ import annotations

import logging

from ..engine import plan
from . import log as runs
from . import pausing

logger = logging.getLogger(__name__)


def on_applied(rt, session, answer: dict) -> None:
    run = rt.db[runs.RUNS].find_one({"_id": answer["run_id"]}, session=session)
    steps = list((run or {}).get("steps") or [])
    if run is None or answer["step"] >= len(steps):
        logger.warning("an answer for no known run step: %s", answer["request_id"])
        return
    step = steps[answer["step"]]
    if step.get("request_id") != answer["request_id"] or step["result"] != plan.REQUESTED:
        return  # already answered: a repeat, or the answer to an attempt a retry superseded
    steps[answer["step"]] = {**step, "result": answer["status"], "error": answer.get("reason"),
                             "outcome": answer.get("result") or {}, "answered_by": answer["service"],
                             "answered_at": answer["answered_at"]}
    status = plan.settled(steps) if run["status"] == plan.RUNNING else run["status"]
    rt.db[runs.RUNS].update_one({"_id": run["_id"]}, {"$set": {"steps": steps, "status": status}}, session=session)
    if status != run["status"]:
        pausing.count(rt, session, run["rule_id"], status)

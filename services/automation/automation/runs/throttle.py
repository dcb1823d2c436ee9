"""A rule's rate limit: at most MAX_RUNS_PER_HOUR runs that ask for something, per rule and clock hour.
Past it a run is logged `throttled` and asks for nothing, so a rule written too wide (every follow-up,
every customer) floods nobody's task list or inbox; it does not count as a failure. The counters are
kept a day."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel

from crm_common import batching
from crm_common.clock import utcnow

MAX_RUNS_PER_HOUR = 500
HOURS = "rule_hours"
INDEXES = {HOURS: [IndexModel([("kept_at", ASCENDING)], expireAfterSeconds=86400)]}


def allowed(db, session, rule_id: str, now: datetime) -> bool:
    """Count one more asking run of the rule this hour; whether it is within the limit. Folded over a
    consumer batch (crm_common.batching): a read and a write per rule a batch, not per run."""
    key = f"{rule_id}@{now.strftime('%Y-%m-%dT%H')}"
    counted = batching.get(db, session, HOURS, key) or {"_id": key, "runs": 0, "kept_at": utcnow()}
    counted["runs"] += 1
    batching.replace(db, session, HOURS, counted)
    return counted["runs"] <= MAX_RUNS_PER_HOUR

"""How often each rule's conditions did not hold on the events it listens on, per day: one counter
document a day for all rules, folded over a consumer batch (crm_common.batching), so a thousand rules
cost one write a batch, not one a rule an event. Kept RUN_DAYS, as the run log."""
from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ASCENDING, IndexModel

from crm_common import batching
from crm_common.clock import utcnow

from .log import RUN_DAYS

STATS = "rule_days"
INDEXES = {STATS: [IndexModel([("kept_at", ASCENDING)], expireAfterSeconds=RUN_DAYS * 86400)]}


def skipped(db, session, rule_ids: list[str], now: datetime) -> None:
    """One more event on which each of these rules' conditions did not hold."""
    if rule_ids:
        batching.inc(db, session, STATS, now.date().isoformat(), {f"skipped_condition.{r}": 1 for r in rule_ids},
                     set_on_insert={"kept_at": utcnow()})


def of_rule(db, rule_id: str, now: datetime, days: int) -> list[dict]:
    """[{day, skipped_condition}] of the last `days` days, the days with none left out."""
    since = (now - timedelta(days=days - 1)).date().isoformat()
    found = db[STATS].find({"_id": {"$gte": since}, f"skipped_condition.{rule_id}": {"$exists": True}},
                           {f"skipped_condition.{rule_id}": 1}).sort("_id", 1)
    return [{"day": d["_id"], "skipped_condition": d["skipped_condition"][rule_id]} for d in found]

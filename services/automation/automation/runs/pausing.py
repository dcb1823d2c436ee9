"""A rule failing PAUSE_AFTER_FAILURES runs in a row is paused, and crm.rule.deactivated (reason failing)
tells the admins: a broken rule must not go on asking for work that fails."""
from __future__ import annotations

import logging

from ..engine import plan
from ..rules import store as rules

PAUSE_AFTER_FAILURES = 5
logger = logging.getLogger(__name__)


def count(rt, session, rule_id: str, status: str) -> None:
    """Only a settled run counts: failed, or completed (every step applied)."""
    if status not in (plan.FAILED, plan.COMPLETED):
        return
    if status == plan.COMPLETED:
        rt.db[rules.RULES].update_one({"_id": rule_id, "failures_in_a_row": {"$ne": 0}},
                                      {"$set": {"failures_in_a_row": 0}}, session=session)
        return
    rt.db[rules.RULES].update_one({"_id": rule_id}, {"$inc": {"failures_in_a_row": 1}}, session=session)
    rule = rt.db[rules.RULES].find_one({"_id": rule_id}, session=session)
    if rule and rule["failures_in_a_row"] >= PAUSE_AFTER_FAILURES and rule["status"] == rules.ACTIVE:
        logger.warning("rule %s failed %d runs in a row: paused", rule_id, rule["failures_in_a_row"])
        rules.deactivate(rt, rule_id, None, "failing", session=session)

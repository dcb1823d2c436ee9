"""Shared small rules of the reports: the default stage table, money in fen, report days.

Amounts are kept as integers of fen (分) and shown as exact decimal strings
("1234.50"): events carry decimal strings (older ones JSON numbers, read through
their decimal text), so no binary float ever enters a sum. The rule is
crm_common.kernel.money's, shared with the customer service.
"""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from crm_common.kernel.money import fen, yuan  # noqa: F401 - the reports' money, from the one shared rule

# DOMAIN §2: the default pipeline, in order, with expected days (low, high) and expected rate.
STAGES = ("lead_acquired", "initial_contact", "needs_confirmed", "proposal", "negotiation",
          "contract_signed", "lost")
EXPECTED = {
    "lead_acquired": ((1, 3), "0.80"), "initial_contact": ((3, 7), "0.60"),
    "needs_confirmed": ((7, 14), "0.45"), "proposal": ((14, 21), "0.35"),
    "negotiation": ((21, 30), "0.25"), "contract_signed": ((30, 45), "0.20"),
}
CLOSED = ("contract_signed", "lost")

# Report days are local days of the sales team; changing it needs a rebuild of the read models.
TIMEZONE = ZoneInfo(os.environ.get("REPORTING_TIMEZONE", "Asia/Shanghai"))


def stage_order(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


def advanced(from_stage: str, to_stage: str) -> bool:
    """A move forward in the pipeline (losing the deal is not an advance)."""
    return to_stage != "lost" and stage_order(to_stage) > stage_order(from_stage)


def parse(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value)
    if len(text) == 10:  # a bare date: the start of that local day
        return datetime.fromisoformat(text).replace(tzinfo=TIMEZONE)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def day(value) -> str | None:
    """The local report day (YYYY-MM-DD) of a time."""
    at = parse(value)
    return at.astimezone(TIMEZONE).date().isoformat() if at else None


def today(now: datetime, tz=TIMEZONE) -> date:
    return now.astimezone(tz).date()


def days_between(start, end) -> float:
    return (parse(end) - parse(start)).total_seconds() / 86400

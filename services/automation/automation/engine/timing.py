"""When a time trigger is due, decided from a record as it is now and the clock (no I/O).

- relative_time: the record's date field plus `offset_hours` (negative: before it), e.g. 72 hours before
  an opportunity's expected close date.
- inactivity: `days` after the record's `since_field` (its last follow-up, its last stage change), or
  after it was first seen when that never happened.
- schedule: the latest tick of a five-field cron expression.

A run fires once per anchor: its trigger key is the record and the anchor time, so a date moved or new
activity makes a new anchor, and the same anchor never fires twice. Anchors before `since` (the moment
the rule was activated with `existing: ignore`) are not fired: records that were already due then are
ignored, as activation promised.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from croniter import croniter

TIME_TRIGGERS = ("relative_time", "inactivity", "schedule")
FIRST_SEEN = "first_seen_at"  # kept by the records copy: when the record was first heard of


def moment(value) -> datetime | None:
    """A stored date or time as an aware UTC datetime (a date alone: its midnight UTC); None if not one."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def anchor(trigger: dict, record: dict) -> datetime | None:
    """When the trigger is due for `record`, or None when the record gives no time to go by."""
    if trigger["type"] == "relative_time":
        at = moment(record.get(trigger["date_field"]))
        return at + timedelta(hours=trigger["offset_hours"]) if at else None
    if trigger["type"] == "inactivity":
        at = moment(record.get(trigger["since_field"])) or moment(record.get(FIRST_SEEN))
        return at + timedelta(days=trigger["days"]) if at else None
    return None


def due(trigger: dict, record: dict, now: datetime, since: datetime | None) -> datetime | None:
    """The record's anchor if it has come (and is not before `since`), else None."""
    at = anchor(trigger, record)
    if at is None or at > now or (since is not None and at < since):
        return None
    return at


def latest_tick(cron: str, now: datetime, since: datetime | None) -> datetime | None:
    """The schedule's last tick at or before `now` (UTC), if it is not before `since`."""
    if croniter.match(cron, now.replace(second=0, microsecond=0)):
        tick = now.replace(second=0, microsecond=0)
    else:
        tick = croniter(cron, now).get_prev(datetime)
    tick = tick if tick.tzinfo else tick.replace(tzinfo=timezone.utc)
    return None if since is not None and tick < since else tick


def valid_cron(cron: str) -> bool:
    return croniter.is_valid(cron)


def trigger_key(kind: str, record_id: str | None, at: datetime) -> str:
    """The run's key: the record and its anchor (a schedule: the tick alone)."""
    stamp = at.astimezone(timezone.utc).isoformat()
    return f"{kind}:{record_id}@{stamp}" if record_id else f"schedule@{stamp}"


def due_before(trigger: dict, now: datetime) -> tuple[str, str] | None:
    """(record field, the latest value of it whose anchor has come by `now`), to find due records by."""
    if trigger["type"] == "relative_time":
        return trigger["date_field"], (now - timedelta(hours=trigger["offset_hours"])).isoformat()
    if trigger["type"] == "inactivity":
        return trigger["since_field"], (now - timedelta(days=trigger["days"])).isoformat()
    return None

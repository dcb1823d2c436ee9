"""Report days: the local days of the sales team, in one time zone (REPORTING_TIMEZONE).

Event timestamps carry their offset; a bare date (an expected signing date) is the start
of that local day. Changing the time zone needs a rebuild of the read models, whose
tallies are filed by local day.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = ZoneInfo("Asia/Shanghai")


def timezone_of(settings) -> ZoneInfo:
    """The report days' time zone the service was started with (REPORTING_TIMEZONE)."""
    return settings.value("REPORTING_TIMEZONE", DEFAULT_TIMEZONE, ZoneInfo)


def parse(value, tz=DEFAULT_TIMEZONE) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value)
    if len(text) == 10:  # a bare date: the start of that local day
        return datetime.fromisoformat(text).replace(tzinfo=tz)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def day(value, tz=DEFAULT_TIMEZONE) -> str | None:
    """The local report day (YYYY-MM-DD) of a time."""
    at = parse(value, tz)
    return at.astimezone(tz).date().isoformat() if at else None


def today(now: datetime, tz=DEFAULT_TIMEZONE) -> date:
    return now.astimezone(tz).date()


def days_between(start, end, tz=DEFAULT_TIMEZONE) -> float:
    return (parse(end, tz) - parse(start, tz)).total_seconds() / 86400

"""The pure rules of a nurturing sequence (养鱼): when a step may go (its delay, then the next moment of
its send window in the recipient's time zone), which goals a signal meets, and whether a contact may
be enrolled again. No I/O."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CHANNELS = ("email", "sms")
GOALS = ("lifecycle", "stage", "reply", "click")  # a lifecycle class or a stage reached, a reply, a click
ENDED = ("completed", "goal_reached", "unsubscribed", "stopped", "merged")  # merged: a converted lead's
CAPPED_RETRY = timedelta(hours=12)  # a step held back by the frequency cap is tried again, never dropped
DEFAULT_TZ = "Asia/Shanghai"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def in_window(at: datetime, window: dict | None, timezone: str | None) -> datetime:
    """`at`, or the next moment the window opens (days 1-7 = Monday-Sunday, hours [start, end) local)."""
    if not window:
        return at
    tz, days, (start, end) = zone(timezone), set(window["days"]), window["hours"]
    local = at.astimezone(tz)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if day.isoweekday() not in days:
            continue
        opens = datetime(day.year, day.month, day.day, start, tzinfo=tz)
        closes = datetime(day.year, day.month, day.day, 0, tzinfo=tz) + timedelta(hours=end)
        if offset == 0 and opens <= local < closes:
            return at
        if local < opens:
            return opens.astimezone(at.tzinfo)
    return at  # no day listed at all: refused when the sequence is saved


def step_due(after: datetime, step: dict, timezone: str | None) -> datetime:
    """When a step goes: its delay after `after` (the enrollment, or the previous step), in its window."""
    return in_window(after + timedelta(hours=step["delay_hours"]), step.get("window"), timezone)


def window_problem(window: dict) -> str | None:
    days, hours = window.get("days") or [], window.get("hours") or []
    if not days or any(d not in range(1, 8) for d in days):
        return "days are 1 (Monday) to 7 (Sunday), at least one"
    if len(hours) != 2 or not 0 <= hours[0] < hours[1] <= 24:
        return "hours are [start, end] with 0 <= start < end <= 24"
    return None


def goal_met(goals: list[dict], signal: dict) -> bool:
    """Whether `signal` ({"type": "lifecycle", "to": "has_demand"}, {"type": "reply"}, ...) meets a goal."""
    for goal in goals:
        if goal["type"] != signal["type"]:
            continue
        if goal["type"] in ("reply", "click") or signal.get("to") in goal.get("in", []):
            return True
    return False


def enrollment_refusal(sequence: dict, past: list[dict], now: datetime) -> str | None:
    """Why a contact may not be enrolled now, given its earlier enrollments in this sequence, or None.
    Re-enrollment is off unless the sequence allows it after a gap of days since the last one ended."""
    if any(e["status"] == "active" for e in past):
        return "already_enrolled"
    if not past:
        return None
    gap = sequence.get("reenroll_after_days")
    if gap is None:
        return "reenrollment_off"
    last = max(_aware(e.get("ended_at") or e["enrolled_at"]) for e in past)
    return "too_soon" if now < last + timedelta(days=gap) else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))

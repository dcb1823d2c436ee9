"""On which channels and when a user hears of a reminder (DOMAIN §4: per-user channel preferences and
quiet hours), as pure functions of their preferences."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# A rep in person: a DingTalk work notification or a WeCom app message, to the userid in their preferences.
USERIDS = {"dingtalk_work": "dingtalk_userid", "wecom_app": "wecom_userid"}
CHANNELS = ("inbox", "email", "robot", "webhook", *USERIDS)
DEFAULTS = {"channels": {"default": ["inbox"]}, "email": None, "language": "zh", "timezone": "Asia/Shanghai",
            "quiet_hours": None, **{name: None for name in USERIDS.values()}}


def channels_for(pref: dict, kind: str) -> list[str]:
    """A kind named in `channels` gets exactly those; any other kind the default, plus the inbox."""
    chosen = pref["channels"]
    if kind in chosen:
        return list(dict.fromkeys(chosen[kind]))
    return list(dict.fromkeys(["inbox", *chosen.get("default", [])]))


def userid_for(pref: dict, channel: str) -> str | None:
    """The rep's userid in the company's DingTalk or WeCom, for a channel that reaches them in person."""
    return pref.get(USERIDS[channel]) if channel in USERIDS else None


def send_at(pref: dict, kind: str, now: datetime, critical_kinds) -> datetime:
    """When an outbound message of a reminder of `kind` that fell due at `now` goes: now for a critical
    kind, else after the user's quiet hours."""
    return now if kind in critical_kinds else after_quiet_hours(pref, now)


def after_quiet_hours(pref: dict, at: datetime) -> datetime:
    """`at`, or the end of the user's quiet window when `at` falls inside it (delayed, never dropped)."""
    quiet = pref.get("quiet_hours")
    if not quiet:
        return at
    zone = ZoneInfo(pref.get("timezone") or DEFAULTS["timezone"])
    local = at.astimezone(zone)
    start, end = _hhmm(quiet["start"]), _hhmm(quiet["end"])
    now = local.time()
    if start == end:
        return at
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return at
    day = local.date() if (start < end or now < end) else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone).astimezone(ZoneInfo("UTC"))


def _hhmm(value: str) -> time:
    hour, minute = (int(x) for x in value.split(":"))
    return time(hour, minute)

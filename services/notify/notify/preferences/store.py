"""Per-user preferences: channels per reminder kind, email, language, quiet hours in their time zone."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

CHANNELS = ("inbox", "email", "robot", "webhook")
DEFAULTS = {"channels": {"default": ["inbox"]}, "email": None, "language": "zh", "timezone": "Asia/Shanghai",
            "quiet_hours": None}


def of(rt, user_ids, session=None) -> dict:
    """user id -> preferences, defaults filled in."""
    found = {p["_id"]: p for p in rt.db.preferences.find({"_id": {"$in": list(user_ids)}}, session=session)}
    return {uid: {**DEFAULTS, **{k: v for k, v in found.get(uid, {}).items() if k != "_id"}} for uid in user_ids}


def put(rt, user_id: str, body: dict) -> dict:
    rt.db.preferences.update_one({"_id": user_id}, {"$set": body}, upsert=True)
    return of(rt, [user_id])[user_id]


def channels_for(pref: dict, kind: str) -> list[str]:
    """A kind named in `channels` gets exactly those; any other kind the default, plus the inbox."""
    chosen = pref["channels"]
    if kind in chosen:
        return list(dict.fromkeys(chosen[kind]))
    return list(dict.fromkeys(["inbox", *chosen.get("default", [])]))


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

"""Times as the reader reads them: every time in a message to a person (a rep, a contact) is shown in
their time zone and in their language's format, "12月7日 05:07" or "Dec 7, 05:07". The formats are
the CLDR ones through `babel`, so a third language needs no new rule here."""
from __future__ import annotations

from datetime import datetime, timezone as utc
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_skeleton, format_time

DEFAULT_TIMEZONE, DEFAULT_LANGUAGE = "Asia/Shanghai", "zh"
LANGUAGES = ("zh", "en")


@lru_cache(maxsize=64)
def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):  # a stored zone this host does not know: the product's default
        return ZoneInfo(DEFAULT_TIMEZONE)


def language_of(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def local_time(dt: datetime, timezone: str | None, language: str | None) -> str:
    """`dt` (aware; a naive one is UTC, as MongoDB returns it) as month, day, hour and minute."""
    locale, zone = Locale.parse(language_of(language)), _zone(timezone)
    at = (dt if dt.tzinfo else dt.replace(tzinfo=utc.utc)).astimezone(zone)
    day = format_skeleton("MMMd", at, tzinfo=zone, locale=locale)
    clock = format_time(at, "HH:mm", tzinfo=zone, locale=locale)
    return locale.datetime_formats["medium"].replace("{1}", day).replace("{0}", clock)

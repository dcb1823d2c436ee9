"""Which greetings a contact is owed today, pure: its birthday (solar or lunar, reminders/calendar.py
computes the day) and its customer's founding anniversary (from the first year after the founding),
each on the day in the contact's time zone, from the configured hour on, once a year."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..reminders import calendar
from ..sequences.rules import zone

BIRTHDAY, ANNIVERSARY = "birthday_greeting", "anniversary_greeting"
OCCASION = {BIRTHDAY: "birthday", ANNIVERSARY: "anniversary"}


def owed(contact: dict, founded_on: str | None, now: datetime, hour: int,
         calendar_of_birthdays: str = "solar") -> list[tuple[str, str]]:
    """(template kind, queue key) of each greeting due for `contact` at `now`; a birthday whose calendar
    the contact does not say is on `calendar_of_birthdays` (the reminder settings' birthday_calendar)."""
    local = now.astimezone(zone(contact.get("timezone")))
    if local.hour < hour:
        return []
    today, found = local.date(), []
    if contact.get("birthday"):
        found += [(BIRTHDAY, label) for label, day in
                  calendar.occurrences(contact["birthday"], today, contact.get("birthday_calendar") or calendar_of_birthdays)
                  if day == today]
    if founded_on and _founded_before(founded_on, today):
        found += [(ANNIVERSARY, label) for label, day in calendar.occurrences(founded_on, today) if day == today]
    return [(kind, f"{contact['_id']}:{OCCASION[kind]}:{label}") for kind, label in found]


def _founded_before(founded_on: str, today: date) -> bool:
    try:
        return date.fromisoformat(founded_on).year < today.year
    except ValueError:
        return False


def month_days(now: datetime) -> list[str]:
    """"-MM-DD" of the dates it is somewhere now (UTC-12 to UTC+14): the solar dates to look at."""
    days = {(now + timedelta(hours=h)).date() for h in (-12, 0, 14)}
    return sorted(f"-{d.month:02d}-{d.day:02d}" for d in days)

"""The company's calendar: date-based reminders fall due at a local time in Asia/Shanghai, and yearly
occasions (birthdays, founding anniversaries) come back on their solar or lunar date. Pure."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lunardate import LunarDate

COMPANY_TZ = ZoneInfo("Asia/Shanghai")  # date-based reminders are due on the company's calendar
UTC = ZoneInfo("UTC")


def at_local(day: date, hhmm: str) -> datetime:
    """`day` at `hhmm` company time, in UTC."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), COMPANY_TZ).astimezone(UTC)


def company_date(now: datetime) -> date:
    """The company's date at `now`."""
    return now.astimezone(COMPANY_TZ).date()


def aware(value: datetime) -> datetime:
    """MongoDB gives datetimes back naive, in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def occurrences(iso_date: str, today: date, calendar: str = "solar") -> list[tuple[str, date]]:
    """(key label, date) of a yearly occasion from `today` on, the next few. Solar: the same month
    and day (29 Feb -> 28 Feb), labelled by year. Lunar: the same lunar month and day (a leap-month
    date keeps its month; day 30 in a 29-day month -> 29), labelled `L<lunar year>`."""
    try:
        born = date.fromisoformat(iso_date)
    except (TypeError, ValueError):
        return []
    found = []
    if calendar == "lunar":
        lunar = LunarDate.from_solar_date(born.year, born.month, born.day)
        for year in range(today.year - 1, today.year + 3):
            try:
                day = LunarDate(year, lunar.month, lunar.day).to_solar_date()
            except ValueError:
                day = LunarDate(year, lunar.month, lunar.day - 1).to_solar_date()
            found.append((f"L{year}", day))
    else:
        for year in range(today.year, today.year + 3):
            day = born.replace(year=year) if (born.month, born.day) != (2, 29) else date(year, 2, 28)
            found.append((str(year), day))
    return [(label, day) for label, day in found if day >= today]


def upcoming(iso_date: str, today: date, days_before: int, calendar: str = "solar") -> list[tuple[str, date]]:
    """The occurrences whose reminder (`days_before` early) is still to come."""
    return [(label, day) for label, day in occurrences(iso_date, today, calendar)
            if day - timedelta(days=days_before) >= today]

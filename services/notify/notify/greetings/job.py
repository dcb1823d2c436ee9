"""The scheduled job that sends the day's greetings: it reads only the contacts whose solar birthday
falls on a date it is somewhere now, those with a lunar birthday, and the contacts of customers founded
on such a date (a birthday whose calendar the contact does not say is on the reminder settings'
`birthday_calendar`), and queues each greeting owed (rules.owed) to the outbox as marketing, keyed
`<contact>:<occasion>:<year label>`, so it goes once a year however often the job runs. A greeting held
back by the weekly cap is tried again at the next run of the day.

Settings: NOTIFY_GREETING_HOUR (the recipient's local hour it goes from, default 9) and
NOTIFY_GREETING_CHANNEL (email or sms, default email)."""
from __future__ import annotations

import re
from collections import Counter

from crm_common import scheduler
from crm_common.settings import SettingsError

from ..contacts import outbox
from ..reminders.settings import reminder_settings
from ..templates import render, variables
from . import defaults, rules

CHANNELS = ("email", "sms")


def settings(rt) -> tuple[int, str]:
    hour = rt.settings.value("NOTIFY_GREETING_HOUR", 9, int)
    channel = rt.settings.value("NOTIFY_GREETING_CHANNEL", "email")
    if not 0 <= hour <= 23 or channel not in CHANNELS:
        raise SettingsError("NOTIFY_GREETING_HOUR is 0-23 and NOTIFY_GREETING_CHANNEL email or sms")
    return hour, channel


def send_due(rt) -> dict:
    hour, channel = settings(rt)
    now, counts = rt.clock.now(), Counter()
    days = "(" + "|".join(re.escape(d) for d in rules.month_days(now)) + ")$"
    founded = {c["_id"]: c["founded_on"] for c in rt.db.customers.find(
        {"founded_on": {"$regex": days}, "deleted": {"$ne": True}}, {"founded_on": 1})}
    lunar = reminder_settings(rt)["birthday_calendar"]  # the company's, where a contact's says none
    wanted = [{"birthday": {"$regex": days}}, {"birthday_calendar": "lunar"}, {"customer_id": {"$in": list(founded)}}]
    if lunar == "lunar":
        wanted.append({"birthday": {"$type": "string"}, "birthday_calendar": None})
    for contact in rt.db.contacts.find({"removed": {"$ne": True}, "$or": wanted}):
        scheduler.check()  # a replica that lost the job's lease sends no more
        for kind, key in rules.owed(contact, founded.get(contact.get("customer_id")), now, hour, lunar):
            counts[rt.transaction(lambda s: greet(rt, s, contact, kind, key, channel))] += 1
    return dict(counts)


def greet(rt, session, contact: dict, kind: str, key: str, channel: str) -> str:
    template = defaults.template(rt, kind, contact.get("language"), session)
    values = variables.for_contact(rt, contact["_id"], customer_id=contact.get("customer_id"), session=session)
    subject, body = render.render(template, values)
    return outbox.queue(rt, session, contact_id=contact["_id"], channel=channel, kind=kind,
                        subject=subject if channel == "email" else None, body=body, marketing=True, key=key)

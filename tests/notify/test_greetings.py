"""Birthday and founding-anniversary greetings: on the day in the contact's time zone, from the
configured hour, to contacts with consent, once a year, with the shipped template in their language."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from crm_common.testing.auth import signed_in
from notify.app import create_app
from notify.greetings import job
from notify.reminders import calendar

from .conftest import Events

SHANGHAI, LONDON, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


@pytest.fixture
def admin(token_for):
    return token_for("u-admin", "admin")


def at(rt, moment: datetime):
    rt.clock.set_offset(moment - datetime.now(timezone.utc))


def contact(contact_id, **extra):
    return {"contact_id": contact_id, "name": f"Li {contact_id}", "phones": [], "wechat_ids": [],
            "emails": [f"{contact_id}@example.com"], "email": f"{contact_id}@example.com", **extra}


def consent(client, admin, *contact_ids):
    for contact_id in contact_ids:
        assert client.put(f"/v1/contacts/{contact_id}/consent", headers=admin, json={
            "channel": "email", "granted": True, "source": "signed_form"}).status_code == 200


def greetings(rt):
    return {d["key"]: d for d in rt.db.deliveries.find({"kind": {"$in": ["birthday_greeting",
                                                                         "anniversary_greeting"]}})}


def test_a_birthday_and_an_anniversary_are_greeted_on_the_day_from_nine_local_once_a_year(rt, client, admin, feed):
    at(rt, datetime(2026, 12, 1, tzinfo=timezone.utc))
    feed.customer("C1", founded_on="2010-12-08", contacts=[
        contact("K1"), contact("K2", timezone="Europe/London", language="en"), contact("K3")],
        birthdays=[{"contact_id": "K1", "name": "Li K1", "birthday": "1980-12-08"},
                   {"contact_id": "K2", "name": "Li K2", "birthday": "1985-12-08"},
                   {"contact_id": "K3", "name": "Li K3", "birthday": "1990-12-08"}])
    consent(client, admin, "K1", "K2")  # K3 never agreed to marketing

    at(rt, datetime(2026, 12, 8, 8, 59, tzinfo=SHANGHAI))
    job.send_due(rt)
    assert greetings(rt) == {}  # the day has come in Shanghai, the hour not yet
    at(rt, datetime(2026, 12, 8, 9, 30, tzinfo=SHANGHAI))
    job.send_due(rt)
    job.send_due(rt)  # the next run of the day sends nothing twice
    assert sorted(greetings(rt)) == ["K1:anniversary:2026", "K1:birthday:2026"]  # 01:30 in London: not yet
    birthday = greetings(rt)["K1:birthday:2026"]
    assert birthday["title"] == "Li K1，生日快乐" and birthday["marketing"] and birthday["channel"] == "email"
    assert "Acme C1" in greetings(rt)["K1:anniversary:2026"]["title"]

    at(rt, datetime(2026, 12, 8, 9, 5, tzinfo=LONDON))
    job.send_due(rt)
    sent = greetings(rt)
    assert sorted(sent) == ["K1:anniversary:2026", "K1:birthday:2026", "K2:anniversary:2026", "K2:birthday:2026"]
    assert sent["K2:birthday:2026"]["title"] == "Happy birthday, Li K2"  # the shipped English template

    at(rt, datetime(2027, 12, 8, 10, 0, tzinfo=SHANGHAI))
    job.send_due(rt)
    assert "K1:birthday:2027" in greetings(rt)


def test_a_lunar_birthday_comes_on_its_lunar_date_with_the_admins_template_at_the_set_hour(app_for):
    app = app_for(create_app, "notify", NOTIFY_GREETING_HOUR="7")
    rt, client, feed = app.extensions["crm"], app.test_client(), Events(app.extensions["crm"])
    admin = signed_in(rt, "u-admin", "admin", ())
    at(rt, datetime(2026, 1, 1, tzinfo=timezone.utc))
    feed.customer("C1", contacts=[contact("K1")],
                  birthdays=[{"contact_id": "K1", "name": "Li K1", "birthday": "1980-02-16"}])
    consent(client, admin, "K1")
    assert client.put("/v1/settings/reminders", headers={**admin, "If-Match": '"0"'},
                      json={"birthday_calendar": "lunar"}).status_code == 200  # the company keeps lunar birthdays
    made = client.post("/v1/templates", headers=admin, json={
        "kind": "birthday_greeting", "language": "zh", "subject": "{{ contact.name }}，农历生日快乐", "body": "祝寿"})
    assert made.status_code == 201
    [(label, day)] = [o for o in calendar.occurrences("1980-02-16", date(2026, 1, 1), "lunar") if o[1].year == 2026]
    at(rt, datetime(day.year, day.month, day.day, 7, 10, tzinfo=SHANGHAI))
    job.send_due(rt)
    [greeting] = greetings(rt).values()
    assert greeting["key"] == f"K1:birthday:{label}" and greeting["title"] == "Li K1，农历生日快乐"
    assert (day.month, day.day) != (2, 16)  # not the solar date


def test_on_the_same_day_a_contact_in_new_york_is_greeted_at_nine_new_york_time_and_one_in_shanghai_at_nine_there(
        rt, client, admin, feed):
    at(rt, datetime(2026, 12, 1, tzinfo=timezone.utc))
    feed.customer("C2", contacts=[contact("NY", timezone="America/New_York", language="en"),
                                  contact("SH", timezone="Asia/Shanghai", language="zh")],
                  birthdays=[{"contact_id": c, "name": f"Li {c}", "birthday": "1980-12-08"} for c in ("NY", "SH")])
    consent(client, admin, "NY", "SH")
    at(rt, datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI))  # 20:00 on the 7th in New York
    job.send_due(rt)
    assert sorted(greetings(rt)) == ["SH:birthday:2026"]
    at(rt, datetime(2026, 12, 8, 8, 55, tzinfo=NEW_YORK))
    job.send_due(rt)
    assert sorted(greetings(rt)) == ["SH:birthday:2026"]
    at(rt, datetime(2026, 12, 8, 9, 0, tzinfo=NEW_YORK))
    job.send_due(rt)
    assert greetings(rt)["NY:birthday:2026"]["title"] == "Happy birthday, Li NY"  # and in the contact's language

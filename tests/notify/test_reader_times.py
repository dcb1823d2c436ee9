"""Times as the reader reads them (issue 25, point 8): every time in a message to a person is in their
time zone and their language's format, never UTC."""
from datetime import datetime, timezone

from notify.preferences import store as prefs
from notify.readers import local_time

from .conftest import inbox

ASSIGNED = "2026-12-06T05:07:00Z"  # respond within 24 h: by 2026-12-07 05:07 UTC, 13:07 in Shanghai


def test_local_time_is_month_day_hour_minute_in_the_readers_zone_and_language():
    at = datetime(2026, 12, 6, 21, 7, tzinfo=timezone.utc)
    assert local_time(at, "Asia/Shanghai", "zh") == "12月7日 05:07"
    assert local_time(at, "Asia/Shanghai", "en") == "Dec 7, 05:07"
    assert local_time(at, "Europe/Berlin", "en") == "Dec 6, 22:07"
    assert local_time(at.replace(tzinfo=None), None, None) == "12月7日 05:07"  # MongoDB's naive UTC; the defaults
    assert local_time(at, "Mars/Olympus", "fr") == "12月7日 05:07"  # an unknown zone or language: the defaults


def test_the_new_lead_message_of_a_rep_in_shanghai_shows_the_deadline_in_shanghai_time_in_chinese(rt, feed):
    feed.user("rep-1")
    feed.user("rep-2")
    prefs.put(rt, "rep-1", {"language": "zh", "timezone": "Asia/Shanghai"})
    prefs.put(rt, "rep-2", {"language": "en", "timezone": "America/New_York"})
    for lead_id, rep in (("L1", "rep-1"), ("L2", "rep-2")):
        feed.lead("assigned", lead_id, owner_id=rep, assigned_at=ASSIGNED)
    [zh] = inbox(rt, "rep-1", kind="lead_assigned")
    assert zh["body"] == "请在12月7日 13:07前（24小时内）响应。"
    [en] = inbox(rt, "rep-2", kind="lead_assigned")
    assert en["body"] == "Respond by Dec 7, 00:07 (within 24 hours of assignment)."
    assert "UTC" not in zh["body"] + en["body"]

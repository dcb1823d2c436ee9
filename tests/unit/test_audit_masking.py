"""What the audit log and crm.config.changed show of a configuration: everything but its credentials."""
from datetime import datetime, timezone

from crm_common.audit import MASK, masked


def test_credentials_show_only_whether_they_are_set_at_any_depth():
    robot = {"_id": "R1", "name": "sales", "url": {"sealed": "abc"}, "url_shown": "https://x/robot?access_token=***",
             "secret": None, "hooks": [{"password": "pw", "token": "t", "port": 25}], "recent": [1, 2]}
    assert masked(robot) == {"name": "sales", "url": MASK, "url_shown": "https://x/robot?access_token=***",
                             "secret": None, "hooks": [{"password": MASK, "token": MASK, "port": 25}]}


def test_times_and_other_values_become_json():
    at = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    assert masked({"at": at, "ids": ("a", "b"), "n": 1.5, "ok": True}) == \
        {"at": "2026-12-01T08:00:00+00:00", "ids": ["a", "b"], "n": 1.5, "ok": True}
    assert masked(None) is None

"""A rule's backtest: its draft replayed over the events the service kept, answering what it would have
done in the last N days (runs per day, samples, the tasks and notices, loop warnings) and doing none of it."""
from datetime import datetime, timedelta, timezone

from .conftest import followed_up, updated
from .test_loops import tagging
from .test_rules_api import COMPLAINT
from .test_runs import NOTIFY


def days_ago(made: dict, days: float) -> dict:
    made["time"] = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat().replace("+00:00", "Z")
    return made


def test_a_backtest_counts_what_the_draft_would_have_done_per_day_and_does_nothing(automation):
    rule = automation.rule({**COMPLAINT, "actions": COMPLAINT["actions"] + [NOTIFY]}, activate=False)
    for days, text in ((3, "要投诉"), (3, "投诉了"), (1, "再次投诉"), (1, "一切顺利"), (40, "投诉, long ago")):
        automation.deliver(days_ago(followed_up("C1", text, owner_id="rep-1"), days))
    answer = automation.post(f"/v1/rules/{rule['id']}:backtest", {"days": 30})
    assert answer.status_code == 200, answer.json
    found = answer.json
    today = datetime.now(timezone.utc).date()
    assert found["fired"] == 3 and found["events_replayed"] == 4  # the 40-day-old one is outside
    assert found["per_day"] == [{"day": (today - timedelta(days=3)).isoformat(), "fired": 2},
                                {"day": (today - timedelta(days=1)).isoformat(), "fired": 1}]
    assert found["statuses"] == {"running": 3, "skipped_condition": 1}
    assert found["requests"] == {"create_task": 3, "notify": 3}
    assert [t["title"] for t in found["tasks"]] == ["售后服务"] * 3
    assert [n["to"] for n in found["notices"]] == [{"user_id": "svc-1"}] * 3
    assert found["samples"][0]["conditions"][0]["held"] is True and len(found["samples"]) == 3
    assert found["loop_warnings"] == []
    assert automation.runs() == [] and automation.requests() == []  # nothing was run or asked for
    recent = automation.post(f"/v1/rules/{rule['id']}:backtest", {"days": 2}).json
    assert recent["fired"] == 1


def test_a_backtest_warns_of_a_rule_its_own_actions_would_trigger(automation):
    rule = automation.rule(tagging("self", "vip"), activate=False)
    automation.deliver(days_ago(updated("C1", ("tags",), tags=[]), 2))
    found = automation.post(f"/v1/rules/{rule['id']}:backtest", {"days": 7}).json
    assert found["fired"] == 1
    [warning] = found["loop_warnings"]
    assert "actions.0 (set_fields)" in warning and "crm.customer.updated" in warning


def test_a_backtest_of_an_inactivity_rule_fires_where_the_anchor_came_in_the_window(automation):
    rule = automation.rule({"name": "idle", "actions": [{"type": "create_task", "title": "call",
                                                           "assignee": {"role": "owner"}}],
                            "trigger": {"type": "inactivity", "record": "customer", "since_field": "last_followup_at",
                                        "days": 7}}, activate=False)
    quiet = days_ago(followed_up("C1", "called", owner_id="rep-1"), 10)
    quiet["data"]["followed_up_at"] = quiet["time"]
    automation.deliver(quiet)
    recent = days_ago(followed_up("C2", "called", owner_id="rep-1"), 3)
    recent["data"]["followed_up_at"] = recent["time"]
    automation.deliver(recent)
    found = automation.post(f"/v1/rules/{rule['id']}:backtest", {"days": 30}).json
    assert found["fired"] == 1 and [t["record"]["id"] for t in found["tasks"]] == ["C1"]
    assert found["per_day"] == [{"day": (datetime.now(timezone.utc) - timedelta(days=3)).date().isoformat(),
                                 "fired": 1}]


def test_bad_backtest_input_names_the_field(automation):
    rule = automation.rule(COMPLAINT, activate=False)
    for body in ({"days": 0}, {"days": 31}, {"days": "x"}, {"weeks": 1}):
        answer = automation.post(f"/v1/rules/{rule['id']}:backtest", body)
        assert answer.status_code == 400, body
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert [e["field"] for e in answer.json["errors"]] == [next(iter(body))]
    assert automation.post("/v1/rules/no-such:backtest", {"days": 1}).status_code == 404

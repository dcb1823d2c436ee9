"""The pure rules of a sequence: send windows in the recipient's time zone, goals, re-enrollment."""
from datetime import datetime, timedelta, timezone

from notify.sequences import rules

UTC = timezone.utc
WORKDAYS_9_TO_17 = {"days": [1, 2, 3, 4, 5], "hours": [9, 17]}


def test_a_step_inside_its_window_goes_at_once_and_one_outside_waits_for_the_next_opening_local_time():
    monday_10_shanghai = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
    assert rules.in_window(monday_10_shanghai, WORKDAYS_9_TO_17, "Asia/Shanghai") == monday_10_shanghai
    friday_18 = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)  # 18:00 Friday in Shanghai: next is Monday 09:00
    assert rules.in_window(friday_18, WORKDAYS_9_TO_17, "Asia/Shanghai") == datetime(2026, 12, 14, 1, 0, tzinfo=UTC)
    # the same instant is 10:00 Friday in London: inside its window there
    assert rules.in_window(friday_18, WORKDAYS_9_TO_17, "Europe/London") == friday_18
    early = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 08:30 Monday in Shanghai: the same day at 09:00
    assert rules.in_window(early, WORKDAYS_9_TO_17, "Asia/Shanghai") == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    assert rules.in_window(early, None, "Asia/Shanghai") == early
    assert rules.in_window(early, WORKDAYS_9_TO_17, "Not/AZone") == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_a_steps_delay_counts_from_the_previous_step_then_the_window_applies():
    sent = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 16:00 Shanghai
    step = {"delay_hours": 72, "window": {"days": [1, 2, 3, 4, 5], "hours": [9, 12]}}
    assert rules.step_due(sent, step, "Asia/Shanghai") == datetime(2026, 12, 11, 1, 0, tzinfo=UTC)  # Fri 09:00
    assert rules.step_due(sent, {"delay_hours": 0}, None) == sent


def test_a_window_is_refused_unless_its_days_and_hours_make_sense():
    assert rules.window_problem(WORKDAYS_9_TO_17) is None
    assert "days" in rules.window_problem({"days": [0, 8], "hours": [9, 17]})
    assert "hours" in rules.window_problem({"days": [1], "hours": [17, 9]})
    assert "hours" in rules.window_problem({"days": [1], "hours": [9]})


def test_goals_are_met_by_the_class_or_stage_they_name_and_by_any_reply_or_click():
    goals = [{"type": "lifecycle", "in": ["has_demand", "target"]}, {"type": "reply"}]
    assert rules.goal_met(goals, {"type": "lifecycle", "to": "target"})
    assert not rules.goal_met(goals, {"type": "lifecycle", "to": "nurturing"})
    assert not rules.goal_met(goals, {"type": "stage", "to": "target"})
    assert rules.goal_met(goals, {"type": "reply"})
    assert not rules.goal_met(goals, {"type": "click"})


def test_reenrollment_is_off_unless_the_sequence_allows_it_after_its_gap():
    now = datetime(2026, 12, 7, tzinfo=UTC)
    ended = [{"status": "completed", "enrolled_at": now - timedelta(days=40), "ended_at": now - timedelta(days=20)}]
    assert rules.enrollment_refusal({}, [], now) is None
    assert rules.enrollment_refusal({}, [{"status": "active", "enrolled_at": now}], now) == "already_enrolled"
    assert rules.enrollment_refusal({"reenroll_after_days": None}, ended, now) == "reenrollment_off"
    assert rules.enrollment_refusal({"reenroll_after_days": 30}, ended, now) == "too_soon"
    assert rules.enrollment_refusal({"reenroll_after_days": 14}, ended, now) is None

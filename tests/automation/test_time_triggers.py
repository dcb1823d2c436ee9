"""Time triggers, with the business clock moved forward: a date field's offset, inactivity and a cron
schedule each fire once per anchor (the record and its time), from the records the service keeps, when
the `time-triggers` job runs; a moved date or new activity makes a new anchor."""
from datetime import date, datetime, timedelta, timezone

from .conftest import customer_event, event, followed_up

TASK = {"type": "create_task", "title": "Call before it closes", "assignee": {"role": "owner"}}


def opportunity(kind="created", opp_id="O1", *, close_in_days=5, stage="needs", **extra):
    close = (date.today() + timedelta(days=close_in_days)).isoformat() if close_in_days is not None else None
    data = {"opportunity_id": opp_id, "customer_id": "C1", "name": "Deal", "owner_id": "rep-1",
            "department_path": ["sales"], "pipeline_id": "default", "stage": stage, "status": "open",
            "amount": None, "expected_close_date": close, "by": "rep-1",
            **{f"{kind}_at" if kind != "stage_changed" else "changed_at": datetime.now(timezone.utc).isoformat()},
            **extra}
    return event(f"crm.opportunity.{kind}", opp_id, data)


def at(automation, **delta):
    """The business clock moved this far from now; the job then runs as the worker would run it."""
    automation.rt.clock.set_offset(timedelta(**delta))
    automation.rt.scheduler.run_now("time-triggers")
    return automation.runs()


def test_a_relative_time_fires_once_three_days_before_the_close_date(automation):
    rule = automation.rule({"name": "3 days before close", "actions": [TASK],
                            "trigger": {"type": "relative_time", "record": "opportunity",
                                        "date_field": "expected_close_date", "offset_hours": -72}})
    automation.deliver(opportunity(close_in_days=5))
    assert at(automation, days=1) == []  # the anchor is 3 days before the close date: 2 days ahead yet
    [run] = at(automation, days=2, hours=1)
    assert run["rule_id"] == rule["id"] and run["record"] == {"kind": "opportunity", "id": "O1"}
    anchor = (date.today() + timedelta(days=2)).isoformat()
    assert run["trigger_key"] == f"opportunity:O1@{anchor}T00:00:00+00:00" and run["status"] == "running"
    [task] = automation.requests()
    assert task["action"]["related"] == {"kind": "opportunity", "id": "O1"} and task["record"]["owner_id"] == "rep-1"
    assert len(at(automation, days=3)) == 1  # the job again, later: the same anchor never fires twice
    automation.deliver(opportunity("updated", close_in_days=9, changed_fields=["expected_close_date"]))
    assert len(at(automation, days=6, hours=1)) == 2  # the date moved: a new anchor, one more run
    assert len(automation.requests()) == 2


def test_no_follow_up_for_seven_days_fires_and_a_new_follow_up_starts_the_count_again(automation):
    rule = automation.rule({"name": "7 days without a follow-up", "actions": [TASK],
                            "trigger": {"type": "inactivity", "record": "customer",
                                        "since_field": "last_followup_at", "days": 7}})
    automation.deliver(followed_up("C1", "called", owner_id="rep-1"))
    assert at(automation, days=6) == []
    [run] = at(automation, days=7, minutes=1)
    assert run["rule_id"] == rule["id"] and run["record"]["id"] == "C1"
    assert at(automation, days=8) == [run]
    heard = followed_up("C1", "called again", owner_id="rep-1")
    heard["data"]["followed_up_at"] = (datetime.now(timezone.utc) + timedelta(days=8)).isoformat()
    automation.deliver(heard)
    assert len(at(automation, days=14)) == 1
    assert len(at(automation, days=15, minutes=1)) == 2


def test_a_customer_never_followed_up_counts_from_when_it_was_first_seen(automation):
    automation.rule({"name": "idle", "actions": [TASK],
                     "trigger": {"type": "inactivity", "record": "customer", "since_field": "last_followup_at",
                                 "days": 3}})
    automation.deliver(customer_event("crm.customer.created", "C2", owner_id="rep-1",
                                      extra={"created_at": datetime.now(timezone.utc).isoformat(), "by": "rep-1"}))
    assert at(automation, days=2) == []
    assert [r["record"]["id"] for r in at(automation, days=3, minutes=1)] == ["C2"]


def test_no_stage_change_for_n_days_goes_by_when_the_stage_last_changed(automation):
    automation.rule({"name": "stuck deal", "actions": [TASK],
                     "trigger": {"type": "inactivity", "record": "opportunity", "since_field": "stage_changed_at",
                                 "days": 10}})
    automation.deliver(opportunity(close_in_days=None))
    automation.deliver(opportunity("updated", close_in_days=None, changed_fields=["name"]))  # not a stage move
    assert at(automation, days=9) == []
    moved = opportunity("stage_changed", close_in_days=None, stage="proposal", **{"from": "needs", "to": "proposal"})
    moved["data"]["changed_at"] = (datetime.now(timezone.utc) + timedelta(days=9)).isoformat()
    automation.deliver(moved)
    assert at(automation, days=10, minutes=1) == []  # it moved on day 9: due on day 19
    assert len(at(automation, days=19, minutes=1)) == 1


def test_a_schedule_fires_once_per_tick_after_activation(automation):
    rule = automation.rule({"name": "Monday 9:00", "trigger": {"type": "schedule", "cron": "0 9 * * 1"},
                            "actions": [{"type": "notify", "to": {"user_id": "boss"}, "message": "weekly review"}]})
    now = datetime.now(timezone.utc)
    monday = (now + timedelta(days=7 - now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    assert at(automation, seconds=(monday - now).total_seconds() - 60) == []  # a minute before the tick
    [run] = at(automation, seconds=(monday - now).total_seconds() + 60)
    assert run["trigger_key"] == f"schedule@{monday.isoformat()}" and run["rule_id"] == rule["id"]
    assert len(at(automation, seconds=(monday - now).total_seconds() + 3600)) == 1  # the same tick, an hour on
    assert len(at(automation, days=7, seconds=(monday - now).total_seconds() + 60)) == 2  # the next Monday
    assert [r["action"]["message"] for r in automation.requests()] == ["weekly review"] * 2


def test_records_already_due_at_activation_are_ignored_or_enrolled_as_asked(automation):
    automation.deliver(followed_up("C1", "called", owner_id="rep-1"))
    idle = {"name": "idle", "actions": [TASK], "trigger": {"type": "inactivity", "record": "customer",
                                                           "since_field": "last_followup_at", "days": 3}}
    automation.rt.clock.set_offset(timedelta(days=5))
    ignoring = automation.rule(idle)  # activated on day 5: C1 was due on day 3
    enrolling = automation.rule(idle, activate=False)
    assert automation.post(f"/v1/rules/{enrolling['id']}:activate", {"existing": "enroll"}).status_code == 200
    runs = at(automation, days=5, minutes=1)
    assert [r["rule_id"] for r in runs] == [enrolling["id"]]
    assert ignoring["id"] not in {r["rule_id"] for r in at(automation, days=6)}

"""Reminders the customer service schedules reach the owner's inbox when due, once."""
from datetime import datetime, timedelta, timezone

import pytest

from notify import reminders
from notify.app import create_app

NOW = datetime.now(timezone.utc)
CUSTOMER = {"customer_id": "C1", "name": "Acme", "owner_id": "rep-1"}


@pytest.fixture
def app(app_for):
    return app_for(create_app, "notify")


def handle(rt, handler, data):
    rt.transaction(lambda s: handler(rt, s, data))


def inbox(rt, user_id="rep-1"):
    return [(i["kind"], i["title"]) for i in rt.db.inbox.find({"user_id": user_id})]


def test_a_stage_follow_up_is_delivered_when_due_and_only_once(rt):
    handle(rt, reminders.stage_action, {**CUSTOMER, "stage": "proposal", "action": "followup_reminder",
                                        "due_at": (NOW + timedelta(days=7)).isoformat(), "scheduled_at": NOW.isoformat()})
    handle(rt, reminders.stage_action, {**CUSTOMER, "stage": "proposal", "action": "followup_reminder",
                                        "due_at": (NOW + timedelta(days=7)).isoformat(), "scheduled_at": NOW.isoformat()})
    assert reminders.deliver_due(rt) == {"delivered": 0} and inbox(rt) == []
    rt.clock.set_offset(timedelta(days=7, minutes=1))
    assert reminders.deliver_due(rt) == {"delivered": 1}
    assert reminders.deliver_due(rt) == {"delivered": 0}
    assert inbox(rt) == [("stage_followup", "Follow up Acme")]


def test_the_latest_follow_up_plan_replaces_the_earlier_one(rt):
    for followup_id, days in (("F1", 2), ("F2", 5)):
        handle(rt, reminders.next_contact, {**CUSTOMER, "followup_id": followup_id, "next_plan": f"plan {followup_id}",
                                            "next_contact_at": (NOW + timedelta(days=days)).isoformat()})
    rt.clock.set_offset(timedelta(days=3))
    assert reminders.deliver_due(rt) == {"delivered": 0}  # F1's time passed, but F2 replaced it
    rt.clock.set_offset(timedelta(days=6))
    assert reminders.deliver_due(rt) == {"delivered": 1}
    [item] = rt.db.inbox.find({"user_id": "rep-1"})
    assert item["kind"] == "next_contact" and "plan F2" in item["body"]


def test_reminders_follow_a_new_owner_and_stop_for_the_pool_or_a_deletion(rt):
    due = (NOW + timedelta(days=1)).isoformat()
    for followup_id, customer_id in (("F1", "C1"), ("F2", "C2"), ("F3", "C3")):
        handle(rt, reminders.next_contact, {**CUSTOMER, "customer_id": customer_id, "followup_id": followup_id,
                                            "next_contact_at": due})
    handle(rt, reminders.owner_changed, {"customer_id": "C1", "to_owner_id": "rep-2"})
    handle(rt, reminders.owner_changed, {"customer_id": "C2", "to_owner_id": None})
    handle(rt, reminders.deleted, {"customer_id": "C3"})
    rt.clock.set_offset(timedelta(days=2))
    assert reminders.deliver_due(rt) == {"delivered": 1}
    assert inbox(rt, "rep-2") == [("next_contact", "Contact Acme now")] and inbox(rt, "rep-1") == []

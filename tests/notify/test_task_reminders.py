"""Tasks (待办) from the customer service's events: the assignee is reminded at the due time, once; a
reassignment or a new due time moves the reminder, completing removes it; an overdue task escalates
to the supervisor, then the department manager, as a neglected follow-up does."""
from datetime import timedelta

from .conftest import inbox, iso

DUE = timedelta(days=2)


def org(feed):
    feed.user("mgr-1", role="manager")
    feed.user("boss-1", supervisor_id="mgr-1")
    feed.user("rep-1", supervisor_id="boss-1")
    feed.user("rep-2", supervisor_id="boss-1")
    feed.customer("C1", level="C")  # C: no cadence reminder within these tests' weeks
    feed.start = feed.now()  # every task is due DUE after this, unless a test moves it


def task(feed, event="created", *, assignee="rep-1", due=None, status="open", task_id="T1", **extra):
    data = {"task_id": task_id, "title": "Send the quote", "assignee_id": assignee,
            "due_at": iso(due or feed.start + DUE), "priority": "high", "status": status,
            "related": {"kind": "customer", "id": "C1", "customer_id": "C1"}, "customer_id": "C1",
            "source": {"kind": "user", "id": "rep-1"}, "overdue": False, "done_late": None, "completed_at": None,
            "department_path": ["D1"], "playbook": None, "version": 1}
    by, at = "rep-1", iso(feed.now())
    data.update({"created": {"by": by, "created_at": at},
                 "assigned": {"from_assignee_id": "rep-1", "by": by, "assigned_at": at},
                 "updated": {"changed_fields": ["due_at"], "by": by, "updated_at": at},
                 "completed": {"by": by, "completed_at": at},
                 "cancelled": {"by": by, "cancelled_at": at},
                 "overdue": {"overdue": True, "overdue_at": at}}.get(event, {}), **extra)
    return feed.send(f"crm.task.{event}", task_id, data)


def told(rt, user_id, kind):
    return [(i["task_id"], i["title"]) for i in inbox(rt, user_id, kind) if i.get("task_id")]


def test_the_assignee_is_reminded_at_the_due_time_once(rt, feed, travel):
    org(feed)
    task(feed)
    travel(days=1, hours=23)
    assert told(rt, "rep-1", "task_due") == []
    travel(days=2, minutes=1)
    travel(days=2, minutes=5)
    assert told(rt, "rep-1", "task_due") == [("T1", "待办到期：Send the quote")]
    [item] = inbox(rt, "rep-1", "task_due")
    assert item["customer_id"] == "C1" and item["facts"]["priority"] == "high"


def test_a_reassignment_or_a_new_due_time_moves_the_reminder(rt, feed, travel):
    org(feed)
    task(feed)
    task(feed, "assigned", assignee="rep-2")
    task(feed, "updated", assignee="rep-2", due=feed.start + timedelta(days=3))
    travel(days=2, minutes=1)
    assert told(rt, "rep-1", "task_due") == [] and told(rt, "rep-2", "task_due") == []  # not at the old time
    travel(days=3, minutes=1)
    assert [t for t, _ in told(rt, "rep-2", "task_due")] == ["T1"] and told(rt, "rep-1", "task_due") == []
    assert rt.db.reminders.count_documents({"task_id": "T1", "status": "pending", "kind": "task_due"}) == 0


def test_a_task_completed_or_cancelled_before_it_is_due_reminds_nobody(rt, feed, travel):
    org(feed)
    task(feed)
    task(feed, task_id="T2")
    rt.clock.set_offset(timedelta(days=1))
    task(feed, "completed", status="done", done_late=False)
    task(feed, "cancelled", status="cancelled", task_id="T2")
    travel(days=10)
    assert [i for u in ("rep-1", "boss-1", "mgr-1") for i in inbox(rt, u) if i.get("task_id")] == []


def test_an_overdue_task_escalates_to_the_supervisor_then_the_manager(rt, feed, travel):
    org(feed)
    task(feed)
    travel(days=2, minutes=1)
    rt.clock.set_offset(timedelta(days=2, minutes=2))
    task(feed, "overdue")  # the customer service marks it: the same step, planned once
    feed.followed_up("C1", level="C")  # a follow-up of the customer is not the task done
    travel(days=2, hours=23)
    assert told(rt, "boss-1", "overdue") == []
    travel(days=3, minutes=2)
    travel(days=3, minutes=3)
    assert told(rt, "boss-1", "overdue") == [("T1", "待办逾期：Send the quote（rep-1）")]
    assert told(rt, "mgr-1", "overdue") == []
    travel(days=6, minutes=3)
    assert [t for t, _ in told(rt, "mgr-1", "overdue")] == ["T1"] and len(told(rt, "boss-1", "overdue")) == 1


def test_a_rules_own_escalation_days_are_when_the_supervisor_then_the_manager_hear(rt, feed, travel):
    """The hot-lead template: first contact within 24 h, the supervisor told on day 3, the department
    manager on day 5, from the task's creation, whatever the reminder settings' steps say."""
    org(feed)
    task(feed, due=feed.start + timedelta(days=1), source={"kind": "rule", "id": "run-1"},
         escalate_at=[iso(feed.start + timedelta(days=3)), iso(feed.start + timedelta(days=5))])
    travel(days=1, minutes=1)
    travel(days=2, hours=23)  # the settings' step would have told the supervisor on day 2
    assert told(rt, "boss-1", "overdue") == []
    travel(days=3, minutes=1)
    travel(days=3, minutes=2)
    assert [t for t, _ in told(rt, "boss-1", "overdue")] == ["T1"]
    travel(days=4, hours=23)
    assert told(rt, "mgr-1", "overdue") == []
    travel(days=5, minutes=1)
    travel(days=5, minutes=2)
    assert [t for t, _ in told(rt, "mgr-1", "overdue")] == ["T1"] and len(told(rt, "boss-1", "overdue")) == 1


def test_an_overdue_task_done_before_its_escalation_goes_no_higher(rt, feed, travel):
    org(feed)
    task(feed)
    rt.clock.set_offset(timedelta(days=2, hours=1))
    task(feed, "overdue")  # before the reminders pass ran
    travel(days=2, hours=2)
    rt.clock.set_offset(timedelta(days=2, hours=3))
    task(feed, "completed", status="done", done_late=True)
    travel(days=10)
    assert len(told(rt, "rep-1", "task_due")) == 1
    assert told(rt, "boss-1", "overdue") == [] and told(rt, "mgr-1", "overdue") == []



def test_the_inbox_api_names_the_task(rt, feed, travel, client, token_for):
    org(feed)
    task(feed)
    travel(days=2, minutes=1)
    answer = client.get("/v1/inbox", headers=token_for("rep-1", "rep"))
    assert answer.status_code == 200
    items = answer.json["items"]
    assert [(i["kind"], i["task_id"]) for i in items if i["kind"] == "task_due"] == [("task_due", "T1")]

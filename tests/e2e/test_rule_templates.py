"""The shipped rule templates, each instantiated and activated through the automation service's API and
shown acting through the running system: the customer service makes the tasks, notify tells people, and
time travel shows a neglected first contact climbing to the supervisor and the department manager."""
import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.testing.system import eventually
from tests.e2e.test_reminders_time_travel import call, team

MOVED = ("lead-intake", "customer", "pool", "notify", "reporting", "automation")
# what comes due with the clock: rules' time triggers, overdue tasks, reminders and their escalation
JOBS = (("automation", "time-triggers"), ("customer", "tasks-overdue"), ("notify", "reminders-due"))
_numbers = itertools.count(1)  # one company and phone per customer: the same twice is a duplicate


@pytest.fixture
def clocks(system, admin_headers):
    """`clocks(delta)`: every service's clock `delta` ahead of now, then the timed jobs run at once."""
    def posts(delta):
        offset = {"offset_days": delta / timedelta(days=1)}
        return [(s, "/v1/dev/clock", offset) for s in MOVED] + [(s, f"/v1/dev/jobs/{j}/run", None) for s, j in JOBS]

    def move(delta: timedelta):
        for service, path, body in posts(delta):
            done = call(system, "POST", service, path, admin_headers, json=body)
            assert done.status_code == 200, (service, path, done.text)
    yield move
    for service, path, body in posts(timedelta(0))[:len(MOVED)]:
        call(system, "POST", service, path, admin_headers, json=body)


def active_rule(system, admin_headers, template, params):
    made = call(system, "POST", "automation", f"/v1/rule-templates/{template}:instantiate", admin_headers, json=params)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "draft"
    activated = call(system, "POST", "automation", f"/v1/rules/{made.json()['id']}:activate", admin_headers,
                     json={"existing": "ignore"})
    assert activated.status_code == 200 and activated.json()["status"] == "active", activated.text
    return made.json()["id"]


def runs(system, admin_headers, rule_id):
    return call(system, "GET", "automation", f"/v1/runs?rule_id={rule_id}", admin_headers).json()["items"]


def completed_runs(system, admin_headers, rule_id, count=1):
    """The rule's runs once `count` of them have completed (every step applied)."""
    assert eventually(lambda: [r["status"] for r in runs(system, admin_headers, rule_id)] == ["completed"] * count,
                      timeout=30, interval=0.5), json.dumps(runs(system, admin_headers, rule_id), ensure_ascii=False)
    return runs(system, admin_headers, rule_id)


def tasks(system, headers, **query):
    return call(system, "GET", "customer", "/v1/tasks", headers, params=query).json()["items"]


def inbox(system, headers, kind=None):
    path = "/v1/inbox" + (f"?kind={kind}" if kind else "")
    return call(system, "GET", "notify", path, headers).json()["items"]


def customer_of(system, rep, name):
    n = next(_numbers)
    made = call(system, "POST", "customer", "/v1/customers", rep, json={
        "name": f"{name} {n}", "level": "B", "contacts": [{"name": f"Chen {n}", "phone": f"+86137{n:08d}"}]})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def follow_up(system, rep, customer_id, content):
    made = call(system, "POST", "customer", f"/v1/customers/{customer_id}/followups", rep,
                json={"channel": "phone", "content": content, "goal_met": False, "next_plan": "call again",
                      "next_contact_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()})
    assert made.status_code == 201, made.text


def test_complaint_to_service_gives_the_after_sales_manager_a_task_and_a_notice(system, admin_headers):
    service = team(system, admin_headers, ("hua_aftersales", "hu_service", "he_service"))
    manager_id, manager = service["hua_aftersales"]
    sales = team(system, admin_headers, ("sun_sales", "su_sales", "song_sales"))
    _, rep = sales["song_sales"]
    rule_id = active_rule(system, admin_headers, "complaint_to_service", {"service_manager_id": manager_id})

    calm, angry = customer_of(system, rep, "Harbin Glass"), customer_of(system, rep, "Dalian Port")
    follow_up(system, rep, calm, "Asked about the delivery dates; all fine")
    follow_up(system, rep, angry, "客户来电" + "说明情况。" * 60 + "他们要投诉发货延误")  # past the 200-character summary

    [run] = completed_runs(system, admin_headers, rule_id)
    assert run["event_type"] == "crm.customer.followed_up" and run["record"] == {"kind": "customer", "id": angry}
    assert [(s["type"], s["result"], s["answered_by"]) for s in run["steps"]] == [
        ("create_task", "applied", "customer"), ("notify", "applied", "notify")], run
    [task] = tasks(system, manager, assignee_id=manager_id)
    assert run["steps"][0]["outcome"]["task_id"] == task["id"]
    assert task["related"] == {"kind": "customer", "id": angry, "customer_id": angry}
    assert "投诉" in task["title"] and task["status"] == "open" and task["priority"] == "high"
    assert task["source"] == {"kind": "rule", "id": run["id"]}
    # told at once, in their inbox: one notice, about the customer who complained only
    [notice] = inbox(system, manager, "rule_notice")
    assert "投诉" in notice["body"] and notice["facts"]["customer"].startswith("Dalian Port"), notice
    assert tasks(system, admin_headers, related_id=calm) == []


def test_proposal_followup_gives_the_owner_a_task_due_in_seven_days(system, admin_headers):
    people = team(system, admin_headers, ("pan_sales", "peng_sales", "pei_sales"))
    owner_id, owner = people["pei_sales"]
    rule_id = active_rule(system, admin_headers, "proposal_followup", {})
    customer_id = customer_of(system, owner, "Qingdao Beer")
    deal = call(system, "POST", "customer", f"/v1/customers/{customer_id}/opportunities", owner,
                json={"name": "Bottling line"})
    assert deal.status_code == 201, deal.text
    deal_id = deal.json()["id"]
    etag = call(system, "GET", "customer", f"/v1/opportunities/{deal_id}", owner).headers["ETag"]
    learnt = call(system, "PATCH", "customer", f"/v1/opportunities/{deal_id}", {**owner, "If-Match": etag},
                  json={"interest_expressed": True, "needs": "a second line", "needs_matched": True})
    assert learnt.status_code == 200, learnt.text
    for stage in ("initial_contact", "needs_confirmed"):  # no task before the deal reaches proposal
        moved = call(system, "POST", "customer", f"/v1/opportunities/{deal_id}/stage", owner, json={"stage": stage})
        assert moved.status_code == 200, moved.text
    moved = call(system, "POST", "customer", f"/v1/opportunities/{deal_id}/stage", owner, json={"stage": "proposal"})
    assert moved.status_code == 200, moved.text
    entered = datetime.now(timezone.utc)

    [run] = completed_runs(system, admin_headers, rule_id)
    [task] = tasks(system, owner, related_id=deal_id)
    assert task["assignee_id"] == owner_id and task["source"] == {"kind": "rule", "id": run["id"]}
    assert task["related"]["kind"] == "opportunity" and task["status"] == "open"
    due = datetime.fromisoformat(task["due_at"].replace("Z", "+00:00"))
    assert abs(due - (entered + timedelta(days=7))) < timedelta(minutes=2), task["due_at"]


def test_hot_lead_first_contact_gives_the_owner_a_task_that_climbs_while_open(system, admin_headers, new_channel,
                                                                               clocks):
    people = team(system, admin_headers, ("lin_manager", "lu_supervisor", "li_rep"))
    (rep_id, rep), (_, supervisor), (_, manager) = people["li_rep"], people["lu_supervisor"], people["lin_manager"]
    rule_id = active_rule(system, admin_headers, "hot_lead_first_contact", {})
    # phone 20, email 10, interest 20, a budget past 100,000 20, company, industry and city 10: 80, hot
    lead = call(system, "POST", "lead-intake", "/v1/leads", new_channel("expo"), json={
        "name": "Zhao Lei", "phone": "+8613911112222", "email": "zhao@hangzhou-motors.example",
        "company": "Hangzhou Motors", "industry": "automotive", "city": "Hangzhou",
        "product_interest": "fleet CRM", "budget": 300000})
    assert lead.status_code in (200, 201) and lead.json()["bucket"] == "hot", lead.text
    lead_id = lead.json()["id"]
    assigned = call(system, "POST", "lead-intake", f"/v1/leads/{lead_id}/assign", admin_headers,
                    json={"owner_id": rep_id})
    assert assigned.status_code == 200, assigned.text
    assigned_at = datetime.now(timezone.utc)

    # lead-intake may have assigned the hot lead to a rep of its own first: that is a run of its own
    def done():
        made = runs(system, admin_headers, rule_id)
        return made and all(r["status"] == "completed" for r in made) and tasks(system, rep, related_id=lead_id)
    assert eventually(done, timeout=30, interval=0.5), json.dumps(runs(system, admin_headers, rule_id), ensure_ascii=False)
    [task] = tasks(system, rep, related_id=lead_id)
    [run] = [r for r in runs(system, admin_headers, rule_id) if r["id"] == task["source"]["id"]]
    assert task["assignee_id"] == rep_id and task["status"] == "open" and "24 h" in task["title"], task
    assert task["source"] == {"kind": "rule", "id": run["id"]}
    due = datetime.fromisoformat(task["due_at"].replace("Z", "+00:00"))
    assert abs(due - (assigned_at + timedelta(hours=24))) < timedelta(minutes=2), task["due_at"]

    def told(headers):
        return [i["title"] for i in inbox(system, headers, "overdue") if task["title"] in i["title"]]

    def seen(offset, headers):
        def arrived():
            clocks(offset)
            return told(headers)
        return eventually(arrived, timeout=20, interval=1)

    # The template's own escalate_days (3 and 5, from the task's making): the reminder settings' steps
    # (the supervisor a day after the due time) would tell the supervisor on day 2
    assert task["escalate_at"] and len(task["escalate_at"]) == 2, task
    clocks(timedelta(days=2, hours=22))  # not yet
    assert told(supervisor) == [] and told(manager) == []
    assert seen(timedelta(days=3, hours=1), supervisor), inbox(system, supervisor)
    assert told(manager) == []
    clocks(timedelta(days=4, hours=22))
    assert told(manager) == []
    assert seen(timedelta(days=5, hours=1), manager), inbox(system, manager)
    assert call(system, "GET", "customer", f"/v1/tasks/{task['id']}", rep).json()["status"] == "open"

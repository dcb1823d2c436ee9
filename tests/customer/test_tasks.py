"""Tasks (待办): made on a lead, customer or deal, seen like their record, edited with If-Match, reassigned,
completed (late or not), cancelled, marked overdue once by the worker's job; each change an event."""
import itertools
from datetime import datetime, timedelta, timezone

from crm_common.consumer import deliver
from crm_common.events import validate
from crm_common.testing.events import data_of, of
from customer.service import handlers
from customer.tasks import store

_names = itertools.count(1)  # one company per customer: the same company and contact twice is a duplicate


def due(hours=24):
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()


def new_task(client, org, as_user="alice", **body):
    customer = body.pop("customer", None) or org.customer(as_user, name=f"Acme {next(_names)}")
    payload = {"title": "Call back", "assignee_id": org.id(as_user), "due_at": due(),
               "related": {"kind": "customer", "id": customer["id"]}, **body}
    return client.post("/v1/tasks", json=payload, headers=org.headers[as_user])


def test_a_task_is_made_on_a_customer_and_announced(org, client, rt):
    made = new_task(client, org, checklist=[{"text": "ask for budget"}, {"text": "send brochure"}],
                    description="after the demo", priority="high")
    assert made.status_code == 201, made.json
    task = made.json
    assert (task["status"], task["priority"], task["assignee_id"], task["overdue"]) == (
        "open", "high", org.id("alice"), False)
    assert task["checklist"] == [{"text": "ask for budget", "done": False}, {"text": "send brochure", "done": False}]
    assert task["related"]["customer_id"] == task["related"]["id"] and task["source"] == {
        "kind": "user", "id": org.id("alice")}
    assert made.headers["ETag"] == '"1"'
    [event] = of(rt, "crm.task.created", task["id"])
    validate(event)
    assert event["partitionkey"] == task["related"]["customer_id"]  # in order with the customer's events
    assert client.get(f"/v1/tasks/{task['id']}", headers=org.headers["alice"]).json["title"] == "Call back"


def test_bad_input_names_the_field_and_writes_nothing(org, client, rt):
    customer = org.customer("alice", name=f"Acme {next(_names)}")
    cases = [({"priority": "urgent"}, "priority"), ({"due_at": "tomorrow"}, "due_at"),
             ({"related": {"kind": "invoice", "id": "x"}}, "related.kind"), ({"title": ""}, "title"),
             ({"assignee_id": "nobody"}, "assignee_id"),
             ({"related": {"kind": "customer", "id": "000000000000000000000000"}}, "related.id")]
    for change, field in cases:
        answer = new_task(client, org, customer=customer, **change)
        assert answer.status_code in (400, 404), (change, answer.json)
        assert field in {e["field"] for e in answer.json["errors"]}, (change, answer.json)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert rt.db.tasks.count_documents({}) == 0 and of(rt, "crm.task.created") == []


def test_tasks_are_seen_like_their_records(org, client):
    mine = new_task(client, org, "alice").json
    for_bob = new_task(client, org, "alice", assignee_id=org.id("bob")).json  # on alice's customer
    west = new_task(client, org, "carol").json

    def listed(user, **query):
        answer = client.get("/v1/tasks", query_string=query, headers=org.headers[user])
        assert answer.status_code == 200, answer.json
        return {t["id"] for t in answer.json["items"]}
    assert listed("alice") == {mine["id"], for_bob["id"]}       # her own, and those on her customers
    assert listed("bob") == {for_bob["id"]}                      # his own, not alice's others
    assert listed("east_manager") == {mine["id"], for_bob["id"]}  # the east subtree
    assert listed("boss") == {mine["id"], for_bob["id"], west["id"]}
    assert listed("alice", assignee_id=org.id("bob")) == {for_bob["id"]}
    assert listed("boss", related_id=west["related"]["id"]) == {west["id"]}
    assert client.get(f"/v1/tasks/{west['id']}", headers=org.headers["alice"]).status_code == 404
    # a rep cannot make a task on a customer they do not see
    carols = org.customer("carol", name=f"Acme {next(_names)}")
    assert new_task(client, org, "alice", customer=carols).status_code == 404
    assert listed("boss", status="open", due_before=due(48), related_kind="customer") == {
        mine["id"], for_bob["id"], west["id"]}
    assert listed("boss", due_before=due(1)) == set()


def test_a_patch_needs_if_match_and_a_reassignment_is_announced(org, client, rt):
    task = new_task(client, org).json
    url, headers = f"/v1/tasks/{task['id']}", org.headers["alice"]
    assert client.patch(url, json={"title": "x"}, headers=headers).status_code == 428
    assert client.patch(url, json={"title": "x"}, headers={**headers, "If-Match": '"7"'}).status_code == 412
    ticked = client.patch(url, json={"checklist": [{"text": "ask for budget", "done": True}], "priority": "low"},
                          headers={**headers, "If-Match": '"1"'})
    assert ticked.status_code == 200, ticked.json
    assert ticked.json["checklist"] == [{"text": "ask for budget", "done": True}] and ticked.headers["ETag"] == '"2"'
    moved = client.patch(url, json={"assignee_id": org.id("bob")}, headers={**headers, "If-Match": '"2"'})
    assert moved.status_code == 200 and moved.json["assignee_id"] == org.id("bob")
    [assigned] = data_of(rt, "crm.task.assigned", task["id"])
    assert (assigned["from_assignee_id"], assigned["assignee_id"]) == (org.id("alice"), org.id("bob"))
    gone = client.patch(url, json={"assignee_id": "nobody"}, headers={**headers, "If-Match": '"3"'})
    assert gone.status_code == 400 and gone.json["errors"][0]["field"] == "assignee_id"


def test_complete_records_who_and_when_and_late_work_counts_as_late(org, client, rt):
    on_time = new_task(client, org).json
    done = client.post(f"/v1/tasks/{on_time['id']}/complete", json={"note": "budget confirmed"},
                       headers=org.headers["alice"])
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["note"], done.json["completed_by"], done.json["done_late"]) == (
        "done", "budget confirmed", org.id("alice"), False)
    again = client.post(f"/v1/tasks/{on_time['id']}/complete", json={}, headers=org.headers["alice"])
    assert again.status_code == 409
    late = new_task(client, org, due_at=due(1)).json
    rt.clock.set_offset(timedelta(hours=2))
    try:
        answer = client.post(f"/v1/tasks/{late['id']}/complete", json={}, headers=org.headers["alice"]).json
    finally:
        rt.clock.set_offset(timedelta(0))
    assert answer["done_late"] is True
    assert data_of(rt, "crm.task.completed", late["id"])[0]["done_late"] is True
    cancelled = new_task(client, org).json
    answer = client.post(f"/v1/tasks/{cancelled['id']}/cancel", json={}, headers=org.headers["alice"])
    assert answer.status_code == 200 and answer.json["status"] == "cancelled"
    assert len(of(rt, "crm.task.cancelled", cancelled["id"])) == 1


def test_the_job_marks_open_tasks_past_due_once(org, client, rt):
    soon = new_task(client, org, due_at=due(1)).json
    later = new_task(client, org, due_at=due(48)).json
    finished = new_task(client, org, due_at=due(1)).json
    client.post(f"/v1/tasks/{finished['id']}/complete", json={}, headers=org.headers["alice"])
    rt.clock.set_offset(timedelta(hours=3))
    try:
        assert store.overdue(rt) == 1
        assert store.overdue(rt) == 0  # once
    finally:
        rt.clock.set_offset(timedelta(0))
    assert client.get(f"/v1/tasks/{soon['id']}", headers=org.headers["alice"]).json["overdue"] is True
    assert client.get(f"/v1/tasks/{later['id']}", headers=org.headers["alice"]).json["overdue"] is False
    [event] = of(rt, "crm.task.overdue")
    validate(event)
    assert event["subject"] == soon["id"] and event["data"]["assignee_id"] == org.id("alice")


def test_a_task_follows_its_customer_to_a_new_owner(org, client, rt):
    task = new_task(client, org).json
    customer_id = task["related"]["id"]
    etag = client.get(f"/v1/customers/{customer_id}", headers=org.headers["alice"]).headers["ETag"]
    moved = client.post(f"/v1/customers/{customer_id}/owner", json={"owner_id": org.id("carol")},
                        headers={**org.headers["boss"], "If-Match": etag})
    assert moved.status_code == 200, moved.json
    assert client.get(f"/v1/tasks/{task['id']}", headers=org.headers["carol"]).status_code == 200
    assert client.get(f"/v1/tasks/{task['id']}", headers=org.headers["east_manager"]).status_code == 200  # alice's


def test_a_follow_up_event_carries_its_whole_content(org, client, rt):
    customer = org.customer("alice", name=f"Acme {next(_names)}")
    text = "客户投诉: " + "x" * 400
    saved = client.post(f"/v1/customers/{customer['id']}/followups", json={
        "channel": "phone", "content": text, "goal_met": False, "next_plan": "call", "next_contact_at": due(48)},
        headers=org.headers["alice"])
    assert saved.status_code == 201, saved.json
    [event] = of(rt, "crm.customer.followed_up", customer["id"])
    validate(event)
    assert event["data"]["content"] == text and len(event["data"]["summary"]) == 200


def test_a_task_on_a_lead_this_service_has_heard_of(org, client, rt):
    event = rt.event("crm.lead.received", "L-task", {
        "lead_id": "L-task", "channel_id": "ch", "channel": "web", "name": "Zhao", "company": None,
        "phones": ["+8613600136099"], "emails": [], "wechat_ids": [], "received_at": rt.clock.now().isoformat(),
        "score": 80, "bucket": "hot"})
    event["version"] = 1
    assert deliver(rt, "customer", handlers(rt), event)
    first_contact = {"title": "First contact within 24 h", "assignee_id": org.id("alice"), "due_at": due(24),
                     "related": {"kind": "lead", "id": "L-task"}}
    made = client.post("/v1/tasks", json=first_contact, headers=org.headers["alice"])
    assert made.status_code == 201, made.json
    assert made.json["related"] == {"kind": "lead", "id": "L-task", "customer_id": None}
    unknown = client.post("/v1/tasks", json={**first_contact, "related": {"kind": "lead", "id": "L-none"}},
                          headers=org.headers["alice"])
    assert unknown.status_code == 404 and unknown.json["errors"][0]["field"] == "related.id"

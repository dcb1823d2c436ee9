"""A rule's requests the customer service applies (crm.automation.requested): create a task once per
request id however often it arrives, assign the owner only if it is still the one the rule saw, set the
level and tags; each answered on crm.automation.applied, the events it causes carrying the run's causation."""
import itertools
from datetime import datetime, timedelta

import pytest

from crm_common.consumer import deliver
from crm_common.events import CAUSED_BY, CAUSE_DEPTH, validate
from crm_common.testing.events import data_of, of
from customer.automation.requests import LeadNotYetKnown
from customer.service import handlers

_names = itertools.count(1)  # one company per customer: the same company and contact twice is a duplicate


def request(rt, org, customer, action, *, step=0, run_id="run-1", expected=None, owner="alice"):
    data = {"request_id": f"{run_id}:{step}", "run_id": run_id, "rule_id": "rule-1", "rule_version": 1, "step": step,
            "action": action, "record": {"kind": "customer", "id": customer["id"], "customer_id": customer["id"],
                                         "owner_id": org.id(owner)},
            "expected": expected or {}, "causation": {"run_ids": [run_id], "depth": 1, "event_id": "e-1"},
            "requested_at": rt.clock.now().isoformat()}
    return rt.event("crm.automation.requested", data["request_id"], data, key=customer["id"])


def answers(rt):
    return {a["request_id"]: a for a in data_of(rt, "crm.automation.applied")}


def test_the_same_request_delivered_twice_makes_one_task(org, client, rt):
    customer = org.customer("alice", name=f"Acme {next(_names)}")
    event = request(rt, org, customer, {"type": "create_task", "title": "Handle the complaint",
                                        "assignee": {"role": "supervisor"}, "due_in_hours": 4})
    again = {**request(rt, org, customer, event["data"]["action"]), "data": event["data"]}  # a rerun: new event id
    assert deliver(rt, "customer", handlers(rt), event)
    deliver(rt, "customer", handlers(rt), event)  # redelivered
    deliver(rt, "customer", handlers(rt), again)
    [task] = list(rt.db.tasks.find({}))
    assert (task["title"], task["assignee_id"]) == ("Handle the complaint", org.id("east_manager"))
    assert task["source"] == {"kind": "rule", "id": "run-1"}
    [created] = of(rt, "crm.task.created")
    assert (created[CAUSED_BY], created[CAUSE_DEPTH]) == ("run-1", 1)
    applied = [a for a in data_of(rt, "crm.automation.applied")]
    assert {a["status"] for a in applied} == {"applied"} and {a["result"]["task_id"] for a in applied} == {task["_id"]}
    for answer in of(rt, "crm.automation.applied"):
        validate(answer)
    seen = client.get(f"/v1/tasks/{task['_id']}", headers=org.headers["east_manager"]).json
    assert seen["related"]["id"] == customer["id"] and seen["status"] == "open"


def test_assign_owner_applies_only_while_the_owner_is_the_one_the_rule_saw(org, rt):
    customer = org.customer("alice", name=f"Acme {next(_names)}")
    move = request(rt, org, customer, {"type": "assign_owner", "user_id": org.id("bob")},
                   expected={"owner_id": org.id("alice")})
    deliver(rt, "customer", handlers(rt), move)
    assert rt.db.customers.find_one({"_id": customer["id"]})["owner_id"] == org.id("bob")
    [changed] = of(rt, "crm.customer.owner_changed", customer["id"])
    assert changed["data"]["kind"] == "rule" and changed[CAUSED_BY] == "run-1"
    late = request(rt, org, customer, {"type": "assign_owner", "user_id": org.id("carol")}, run_id="run-2",
                   expected={"owner_id": org.id("alice")})  # the rule saw alice; bob owns it now
    deliver(rt, "customer", handlers(rt), late)
    assert rt.db.customers.find_one({"_id": customer["id"]})["owner_id"] == org.id("bob")
    assert (answers(rt)["run-2:0"]["status"], answers(rt)["run-2:0"]["reason"]) == ("refused", "owner_changed")
    nobody = request(rt, org, customer, {"type": "assign_owner", "user_id": "gone"}, run_id="run-3",
                     expected={"owner_id": org.id("bob")})
    deliver(rt, "customer", handlers(rt), nobody)
    assert answers(rt)["run-3:0"]["status"] == "refused"


def test_set_fields_sets_level_and_tags_and_names_its_cause(org, rt):
    customer = org.customer("alice", name=f"Acme {next(_names)}", tags=["vip", "old"])
    event = request(rt, org, customer, {"type": "set_fields", "level": "A", "add_tags": ["complaint"],
                                        "remove_tags": ["old"]})
    deliver(rt, "customer", handlers(rt), event)
    stored = rt.db.customers.find_one({"_id": customer["id"]})
    assert (stored["level"], stored["tags"]) == ("A", ["vip", "complaint"])
    [updated] = of(rt, "crm.customer.updated", customer["id"])[-1:]
    assert updated["data"]["changed_fields"] == ["level", "tags"] and updated[CAUSED_BY] == "run-1"
    assert answers(rt)["run-1:0"]["result"]["changed_fields"] == ["level", "tags"]


def test_requests_of_other_services_are_left_to_them(org, rt):
    customer = org.customer("alice", name=f"Acme {next(_names)}")
    deliver(rt, "customer", handlers(rt), request(rt, org, customer, {"type": "notify", "to": {"user_id": "x"},
                                                                      "message": "hi"}))
    assert of(rt, "crm.automation.applied") == []


def test_a_task_request_the_customer_service_cannot_do_is_refused_and_makes_nothing(org, rt):
    customer = org.customer("alice", name=f"Acme {next(_names)}")
    for run_id, action in [("bad-due", {"type": "create_task", "title": "x", "due_at": "soon"}),
                           ("no-one", {"type": "create_task", "title": "x", "assignee": {"user_id": "gone"}})]:
        deliver(rt, "customer", handlers(rt), request(rt, org, customer, action, run_id=run_id))
    assert rt.db.tasks.count_documents({}) == 0
    assert {k: (a["status"], a["reason"]) for k, a in answers(rt).items()} == {
        "bad-due:0": ("refused", "invalid_due_at"), "no-one:0": ("refused", "invalid_assignee")}


def test_a_rules_escalation_days_travel_with_its_task(org, client, rt):
    """The hot-lead template's 3 and 5 days: counted from the task's making, they are in its events,
    for notify to tell the supervisor and then the department manager while it stays open."""
    customer = org.customer("alice", name=f"Acme {next(_names)}")
    assert deliver(rt, "customer", handlers(rt), request(rt, org, customer, {
        "type": "create_task", "title": "First contact", "assignee": {"role": "owner"}, "due_in_hours": 24,
        "escalate": [{"after_days": 3, "to": {"role": "supervisor"}},
                     {"after_days": 5, "to": {"role": "department_manager"}}]}))
    [created] = data_of(rt, "crm.task.created")
    made = datetime.fromisoformat(created["created_at"])
    assert [datetime.fromisoformat(t) - made for t in created["escalate_at"]] == [timedelta(days=3), timedelta(days=5)]
    shown = client.get(f"/v1/tasks/{created['task_id']}", headers=org.headers["alice"]).json
    assert len(shown["escalate_at"]) == 2



def test_a_task_request_about_a_lead_not_yet_heard_of_waits_for_it_instead_of_being_refused(org, rt):
    """A hot lead assigned at once: the rule's request can reach this service before the lead does."""
    lead = {"id": "L-early", "kind": "lead"}
    asked = request(rt, org, lead, {"type": "create_task", "title": "First contact", "assignee": {"role": "owner"},
                                    "due_in_hours": 24}, run_id="early")
    asked["data"]["record"] = {"kind": "lead", "id": "L-early", "owner_id": org.id("alice")}
    with pytest.raises(LeadNotYetKnown):
        deliver(rt, "customer", handlers(rt), asked)  # the consumer loop retries what raises
    assert rt.db.tasks.count_documents({}) == 0 and answers(rt) == {}
    received = rt.event("crm.lead.received", "L-early", {
        "lead_id": "L-early", "channel_id": "ch", "channel": "web", "name": "Zhao", "company": None,
        "phones": ["+8613600136098"], "emails": [], "wechat_ids": [], "received_at": rt.clock.now().isoformat(),
        "score": 80, "bucket": "hot"})
    received["version"] = 1
    assert deliver(rt, "customer", handlers(rt), received)
    assert deliver(rt, "customer", handlers(rt), asked)  # the retry, once the lead is known
    [task] = list(rt.db.tasks.find({}))
    assert task["related"]["id"] == "L-early" and task["assignee_id"] == org.id("alice")
    assert answers(rt)["early:0"]["status"] == "applied"

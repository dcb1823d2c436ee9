"""Each step's result, as the service asked answers it (crm.automation.applied): the run log shows what was
applied, refused or failed, a run is completed once every step applied and failed when one did not, and
a rule whose requests keep being refused is paused after five runs in a row."""
import uuid

from crm_common import kafka
from crm_common.consumer import ConsumerLoop
from crm_common.events import encode, topic_for
from crm_common.testing.events import data_of

from .conftest import applied, followed_up
from .test_rules_api import COMPLAINT
from .test_runs import NOTIFY


def test_an_answer_published_on_the_broker_updates_the_run(automation):
    rule = automation.rule({**COMPLAINT, "actions": COMPLAINT["actions"] + [NOTIFY]})
    automation.deliver(followed_up("C1", "投诉", owner_id="rep-1"))
    task, notice = automation.requests()
    kafka.ensure_topics(automation.rt.settings)
    loop = ConsumerLoop(automation.rt, f"automation-{uuid.uuid4().hex[:6]}", automation.handlers, backoff_seconds=0.01)
    loop.subscribe()
    try:
        for answer in (applied(task, result={"task_id": "T-1"}), applied(notice, result={"notice_id": "N-1"})):
            automation.rt.producer.send(topic_for(answer["type"]), key=b"C1", value=encode(answer)).get(timeout=10)
        for _ in range(150):
            [run] = automation.runs(rule_id=rule["id"])
            if run["status"] != "running":
                break
            loop.poll_once(timeout_ms=200)
    finally:
        loop.consumer.close(autocommit=False)
    assert run["status"] == "completed"
    assert [(s["result"], s["outcome"], s["answered_by"]) for s in run["steps"]] == [
        ("applied", {"task_id": "T-1"}, "customer"), ("applied", {"notice_id": "N-1"}, "notify")]


def test_a_refused_step_fails_the_run_with_its_reason_and_a_retry_asks_again(automation):
    rule = automation.rule({**COMPLAINT, "actions": [NOTIFY, {"type": "assign_owner", "user_id": "rep-2"}]})
    automation.deliver(followed_up("C1", "投诉", owner_id="rep-1"))
    notice, move = automation.requests()
    automation.deliver(applied(notice))
    assert automation.runs(rule_id=rule["id"])[0]["status"] == "running"  # the move is not answered yet
    automation.deliver(applied(move, "refused", reason="owner_changed"))
    [run] = automation.runs(rule_id=rule["id"])
    assert run["status"] == "failed"
    assert [(s["result"], s["error"]) for s in run["steps"]] == [("applied", None), ("refused", "owner_changed")]
    again = automation.post(f"/v1/runs/{run['id']}:retry")
    assert again.json["status"] == "running"
    assert [(s["result"], s["attempts"]) for s in again.json["steps"]] == [("applied", 1), ("requested", 2)]
    assert [r["request_id"] for r in automation.requests()] == [notice["request_id"], move["request_id"],
                                                                  move["request_id"]]  # only the refused one again
    automation.deliver(applied(move, result={"owner_id": "rep-2"}))
    assert automation.runs(rule_id=rule["id"])[0]["status"] == "completed"


def test_a_repeated_answer_changes_nothing(automation):
    rule = automation.rule(COMPLAINT)
    automation.deliver(followed_up("C1", "投诉"))
    [task] = automation.requests()
    automation.deliver(applied(task, result={"task_id": "T-1"}))
    automation.deliver(applied(task, "failed", reason="late"))  # an answer to a step already answered
    [run] = automation.runs(rule_id=rule["id"])
    assert run["status"] == "completed" and run["steps"][0]["outcome"] == {"task_id": "T-1"}


def test_five_runs_in_a_row_refused_where_applied_pause_the_rule(automation):
    rule = automation.rule({**COMPLAINT, "actions": [{"type": "assign_owner", "user_id": "rep-2"}]})
    for n in range(5):
        automation.deliver(followed_up(f"C{n}", "投诉", owner_id="rep-1"))
        automation.deliver(applied(automation.requests()[-1], "refused", reason="owner_changed"))
    assert automation.client.get(f"/v1/rules/{rule['id']}", headers=automation.admin).json["status"] == "paused"
    assert [d["reason"] for d in data_of(automation.rt, "crm.rule.deactivated")] == ["failing"]


def test_an_applied_run_between_failures_starts_the_count_again(automation):
    rule = automation.rule({**COMPLAINT, "actions": [{"type": "assign_owner", "user_id": "rep-2"}]})
    for n, status in enumerate(["refused"] * 4 + ["applied"] + ["refused"] * 4):
        automation.deliver(followed_up(f"C{n}", "投诉", owner_id="rep-1"))
        automation.deliver(applied(automation.requests()[-1], status, reason=None if status == "applied" else "x"))
    assert automation.client.get(f"/v1/rules/{rule['id']}", headers=automation.admin).json["status"] == "active"

"""Runs: exactly one effect per event per rule. A rule's actions become requests on crm.automation, each
keyed `<run_id>:<step>`; a redelivered event, a rerun through another consumer group and two deliveries
racing give one run and one request per action. Every run says why it fired or not."""
import threading

from crm_common.testing.events import data_of

from .conftest import customer_event, followed_up
from .test_rules_api import COMPLAINT

NOTIFY = {"type": "notify", "to": {"user_id": "svc-1"}, "message": "a complaint"}


def test_a_follow_up_with_the_keyword_asks_for_a_task_and_a_notice_once(automation):
    rule = automation.rule({**COMPLAINT, "actions": COMPLAINT["actions"] + [NOTIFY]})
    heard = followed_up("C1", "客户说要投诉我们的售后", owner_id="rep-1")
    assert automation.deliver(heard)
    [run] = automation.runs(rule_id=rule["id"])
    assert run["status"] == "running" and run["trigger_key"] == heard["id"] and run["version"] == 1
    assert [c["held"] for c in run["conditions"]] == [True, True]  # the leaf, then the group around it
    assert run["conditions"][0]["field"] == "event.data.content" and run["conditions"][0]["value"] == ["投诉"]
    tasks, notices = automation.requests()
    assert (tasks["request_id"], notices["request_id"]) == (f"{run['id']}:0", f"{run['id']}:1")
    assert tasks["action"]["type"] == "create_task" and tasks["action"]["related"] == {"kind": "customer", "id": "C1"}
    assert tasks["action"]["assignee"] == {"user_id": "svc-1"} and tasks["action"]["applied_by"] == "customer"
    assert notices["action"]["applied_by"] == "notify" and notices["record"]["customer_id"] == "C1"
    assert tasks["causation"] == {"run_ids": [run["id"]], "depth": 1, "event_id": heard["id"]}
    [sent] = [e for e in automation.rt.db.outbox.find({"event.subject": tasks["request_id"]})]
    assert sent["event"]["causedby"] == run["id"] and sent["event"]["partitionkey"] == "C1"


def test_a_follow_up_without_it_is_counted_and_its_dry_run_shows_the_values_compared(automation):
    rule = automation.rule(COMPLAINT)
    quiet = followed_up("C1", "一切顺利")
    automation.deliver(quiet)
    automation.deliver(followed_up("C2", "也顺利"))
    assert automation.runs(rule_id=rule["id"]) == [] and automation.requests() == []  # no run, no request
    counted = automation.client.get(f"/v1/rules/{rule['id']}/stats", headers=automation.admin).json
    assert [d["skipped_condition"] for d in counted["days"]] == [2]
    why = automation.post(f"/v1/rules/{rule['id']}:dry-run", {"event_id": quiet["id"]}).json
    assert why["status"] == "skipped_condition"
    assert why["conditions"][0]["held"] is False and why["conditions"][0]["actual"] == "一切顺利"


def test_a_redelivered_event_and_a_rerun_make_one_run_and_one_request(automation):
    rule = automation.rule(COMPLAINT)
    heard = followed_up("C1", "投诉")
    assert automation.deliver(heard)
    assert not automation.deliver(heard)  # redelivered to the same group: the guard passes it over
    assert automation.deliver(heard, group="automation-replay")  # a rerun from the event log, a new group
    [run] = automation.runs(rule_id=rule["id"])
    assert run["repeats"] == 1
    assert len(automation.requests()) == 1


def test_a_rerun_of_an_event_no_longer_kept_still_fires_once(automation):
    # A new event costs no read of the run log; one the service may have seen before (here an event
    # older than its keeping, whose kept copy is gone) is looked up, so the rerun is a repeat.
    rule = automation.rule(COMPLAINT)
    heard = {**followed_up("C1", "投诉"), "time": "2026-01-05T09:00:00Z"}
    assert automation.deliver(heard)
    automation.rt.db.kept_events.delete_one({"_id": heard["id"]})
    assert automation.deliver(heard, group="automation-replay")
    [run] = automation.runs(rule_id=rule["id"])
    assert run["repeats"] == 1 and len(automation.requests()) == 1


def test_the_same_event_in_two_batches_of_two_groups_fires_once(automation):
    from crm_common.consumer import ConsumerLoop
    rule = automation.rule(COMPLAINT)
    heard, other = followed_up("C1", "投诉"), followed_up("C2", "一切顺利")
    for group in ("batch-a", "batch-b"):  # each group's batch: the event among others, one transaction
        loop = ConsumerLoop.__new__(ConsumerLoop)
        loop.rt, loop.group, loop.handlers = automation.rt, group, automation.handlers
        assert loop._attempt([other, heard] if group == "batch-a" else [heard, other]) is None
    [run] = automation.runs(rule_id=rule["id"])
    assert run["repeats"] == 1 and len(automation.requests()) == 1


def test_two_deliveries_racing_make_one_run_and_one_request(automation):
    rule = automation.rule(COMPLAINT)
    heard = followed_up("C1", "投诉")
    errors, start = [], threading.Barrier(2)

    def consume(group):
        start.wait()
        for _ in range(20):  # a consumer retries a transaction that lost the race, as the loop does
            try:
                return automation.deliver(heard, group=group)
            except Exception as exc:  # noqa: BLE001 - the unique index refused the loser; it retries
                errors.append(exc)
    threads = [threading.Thread(target=consume, args=(g,)) for g in ("replica-a", "replica-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [run] = automation.runs(rule_id=rule["id"])
    assert len(automation.requests()) == 1 and run["repeats"] == 1


def test_rules_run_in_priority_order_and_each_once(automation):
    late = automation.rule({**COMPLAINT, "name": "late", "priority": 50})
    early = automation.rule({**COMPLAINT, "name": "early", "priority": 1})
    automation.deliver(followed_up("C1", "投诉"))
    assert [r["rule_id"] for r in automation.requests()] == [early["id"], late["id"]]


def test_a_failed_run_is_retried_from_the_record_as_it_is_now(automation):
    to_owner = {"type": "create_task", "title": "call back", "assignee": {"role": "owner"}}
    rule = automation.rule({**COMPLAINT, "actions": [NOTIFY, to_owner]})
    automation.deliver(followed_up("C1", "投诉", owner_id=None))
    [run] = automation.runs(status="failed")
    assert [(s["result"], s["attempts"]) for s in run["steps"]] == [("requested", 1), ("failed", 1)]
    assert "no owner" in run["steps"][1]["error"]
    again = automation.post(f"/v1/runs/{run['id']}:retry")  # still no owner: it fails again
    assert again.json["status"] == "failed" and again.json["steps"][1]["attempts"] == 2
    automation.deliver(customer_event("crm.customer.updated", "C1", owner_id="rep-2",
                                      extra={"changed_fields": ["owner_id"], "updated_at": "2026-12-07T09:00:00Z"}))
    retried = automation.post(f"/v1/runs/{run['id']}:retry")
    assert retried.status_code == 200 and retried.json["status"] == "running"  # asked; answers awaited
    assert [(s["result"], s["attempts"]) for s in retried.json["steps"]] == [("requested", 1), ("requested", 3)]
    assert [r["request_id"] for r in automation.requests()] == [f"{run['id']}:0", f"{run['id']}:1"]
    assert automation.post(f"/v1/runs/{run['id']}:retry").json["reason"] == "not_failed"
    assert automation.runs(rule_id=rule["id"], record_id="C1")[0]["id"] == run["id"]


def test_a_rule_failing_five_runs_in_a_row_is_paused_and_the_admins_are_told(automation):
    rule = automation.rule({**COMPLAINT, "actions": [{"type": "create_task", "title": "x", "assignee": {"role": "owner"}}]})
    for n in range(5):
        automation.deliver(followed_up(f"C{n}", "投诉", owner_id=None))
    stored = automation.client.get(f"/v1/rules/{rule['id']}", headers=automation.admin).json
    assert stored["status"] == "paused"
    assert [d["reason"] for d in data_of(automation.rt, "crm.rule.deactivated")] == ["failing"]
    automation.deliver(followed_up("C9", "投诉", owner_id=None))
    assert len(automation.runs(rule_id=rule["id"])) == 5


def test_a_rule_past_its_hourly_limit_is_throttled_and_asks_for_nothing(automation, monkeypatch):
    from automation.runs import throttle
    monkeypatch.setattr(throttle, "MAX_RUNS_PER_HOUR", 2)
    rule = automation.rule(COMPLAINT)
    for n in range(3):
        automation.deliver(followed_up(f"C{n}", "投诉"))
    statuses = sorted(r["status"] for r in automation.runs(rule_id=rule["id"]))
    assert statuses == ["running", "running", "throttled"]
    [throttled] = automation.runs(status="throttled")
    assert "limit" in throttled["reason"] and throttled["steps"][0]["result"] == "not_run"
    assert len(automation.requests()) == 2
    stored = automation.client.get(f"/v1/rules/{rule['id']}", headers=automation.admin).json
    assert stored["status"] == "active"  # throttled is not a failure


def test_a_rule_reactivated_with_enroll_skips_records_its_version_already_ran_for(automation):
    rule = automation.rule({**COMPLAINT, "conditions": {"all": []}})
    automation.deliver(followed_up("C1", "投诉"))  # the version runs for C1 on its event
    automation.deliver(customer_event("crm.customer.created", "C2", extra={"created_at": "2026-12-01T00:00:00Z",
                                                                          "by": "rep-1"}))
    automation.post(f"/v1/rules/{rule['id']}:deactivate")
    again = automation.post(f"/v1/rules/{rule['id']}:activate", {"existing": "enroll"})
    assert again.status_code == 200 and again.json["enrolled"] == 2
    duplicate = [r for r in automation.runs(rule_id=rule["id"], record_id="C1") if r["status"] == "skipped_duplicate"]
    assert len(duplicate) == 1 and duplicate[0]["trigger_key"] == "enroll:customer:C1"
    assert automation.runs(rule_id=rule["id"], record_id="C2")[0]["status"] == "running"
    assert len(automation.requests()) == 2  # C1 once (its event), C2 once (enrolled)


def test_a_rule_activated_or_deactivated_between_events_counts_from_the_next_event(automation):
    first = automation.rule({**COMPLAINT, "name": "first"})
    automation.deliver(followed_up("C1", "投诉"))  # the worker now holds the active rules in memory
    second = automation.rule({**COMPLAINT, "name": "second"})
    automation.deliver(followed_up("C2", "投诉"))
    automation.post(f"/v1/rules/{first['id']}:deactivate")
    automation.deliver(followed_up("C3", "投诉"))
    fired = {rule["id"]: sorted(r["record"]["id"] for r in automation.runs(rule_id=rule["id"])) for rule in (first, second)}
    assert fired == {first["id"]: ["C1", "C2"], second["id"]: ["C2", "C3"]}

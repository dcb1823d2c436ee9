"""An automation rule's `notify` and `webhook` actions, as notify applies them: one notice per request to
the person the rule names, a Standard Webhook to the rule's URL, each answered on crm.automation.applied;
and the admins told when a rule is paused for failing."""
import itertools
import json
import uuid
from datetime import datetime, timezone

from standardwebhooks import Webhook

from crm_common import kafka
from crm_common.consumer import ConsumerLoop, deliver
from crm_common.events import CAUSED_BY, encode, new_event, topic_for
from crm_common.outbox import Relay
from crm_common.testing.events import data_of, of, topic_events
from notify.deliveries import outbound as deliveries
from notify.service import SPEC

from .conftest import allow_local_receivers, inbox

_runs = itertools.count(1)
SECRET = "rule-signing-secret-0123"


def requested(action: dict, *, customer_id="C1", owner_id="rep-1") -> dict:
    """A rule run's request, as the automation service publishes it."""
    run_id = f"run-{next(_runs)}-{uuid.uuid4().hex[:6]}"
    data = {"request_id": f"{run_id}:0", "run_id": run_id, "rule_id": "rule-1", "rule_version": 1, "step": 0,
            "action": action, "record": {"kind": "customer", "id": customer_id, "customer_id": customer_id,
                                         "owner_id": owner_id},
            "expected": {}, "causation": {"run_ids": [run_id], "depth": 1, "event_id": None},
            "requested_at": datetime.now(timezone.utc).isoformat()}
    event = new_event("crm.automation.requested", data["request_id"], data, source="automation",
                      time=datetime.now(timezone.utc), key=customer_id, caused_by={CAUSED_BY: run_id, "causedepth": 1})
    return {**event, "version": 1}


def notify_action(to, message="客户投诉，请今天回电"):
    return {"type": "notify", "to": to, "message": message, "applied_by": "notify"}


def apply(rt, event) -> bool:
    return deliver(rt, "notify", SPEC.handlers(rt), event)


def answers(rt):
    return data_of(rt, "crm.automation.applied")


def test_a_request_on_the_broker_delivered_twice_gives_one_notice_and_one_answer_on_the_topic(rt, feed):
    feed.user("rep-1")
    feed.customer("C1")
    request = requested(notify_action({"role": "owner"}))
    kafka.ensure_topics(rt.settings)
    for _ in range(2):  # the broker hands the same request over twice
        rt.producer.send(topic_for(request["type"]), key=b"C1", value=encode(request)).get(timeout=10)
    loop = ConsumerLoop(rt, f"notify-{uuid.uuid4().hex[:6]}", SPEC.handlers(rt), backoff_seconds=0.01)
    loop.subscribe()
    try:
        for _ in range(100):
            loop.poll_once(timeout_ms=200)
            if answers(rt):
                break
        for _ in range(5):
            loop.poll_once(timeout_ms=200)  # the repeat, had it been applied, would show by now
    finally:
        loop.consumer.close(autocommit=False)
    [notice] = inbox(rt, "rep-1", kind="rule_notice")
    assert notice["body"] == "客户投诉，请今天回电" and notice["key"] == f"rule:{request['subject']}"
    Relay(rt.db, rt.clock, lambda: rt.producer).run_once()
    on_topic = [e for e in topic_events(rt.settings.kafka_bootstrap_servers, "crm.automation", expect=3)
                if e["type"] == "crm.automation.applied"]
    [answer] = on_topic
    assert answer["data"]["status"] == "applied" and answer["data"]["service"] == "notify"
    assert answer["data"]["result"] == {"user_id": "rep-1", "item_id": notice["_id"]}
    [sent] = [e for e in of(rt, "crm.notification.sent") if e["data"]["kind"] == "rule_notice"]
    assert sent[CAUSED_BY] == request["data"]["run_id"]  # so the rule never fires on its own notice


def test_the_supervisor_and_the_department_manager_are_found_from_the_owner(rt, feed):
    feed.user("boss", role="manager", department_id="D1")
    feed.user("lead-1", role="rep", supervisor_id=None)
    feed.user("rep-1", supervisor_id="lead-1", department_id="D2", path=("D1", "D2"))
    feed.customer("C1", owner_id="rep-1")
    for to in ({"role": "supervisor"}, {"role": "department_manager"}, {"user_id": "lead-1"}):
        assert apply(rt, requested(notify_action(to, message=f"to {to}")))
    assert [(a["status"], a["result"]["user_id"]) for a in answers(rt)] == [
        ("applied", "lead-1"), ("applied", "boss"), ("applied", "lead-1")]
    assert [n["body"] for n in inbox(rt, "lead-1")] == ["to {'role': 'supervisor'}", "to {'user_id': 'lead-1'}"]
    assert [n["body"] for n in inbox(rt, "boss")] == ["to {'role': 'department_manager'}"]


def test_nobody_to_tell_is_refused_no_recipient(rt, feed):
    feed.user("rep-1")  # no supervisor
    feed.user("gone", kind="updated")
    rt.db.users.update_one({"_id": "gone"}, {"$set": {"active": False}})
    feed.customer("C1")
    apply(rt, requested(notify_action({"role": "supervisor"})))
    apply(rt, requested(notify_action({"user_id": "gone"})))
    assert [(a["status"], a["reason"]) for a in answers(rt)] == [("refused", "no_recipient")] * 2
    assert rt.db.inbox.count_documents({"kind": "rule_notice"}) == 0


def test_a_webhook_action_is_a_signed_delivery_and_a_private_url_is_refused(rt, client, token_for, http):
    request = requested({"type": "webhook", "url": http.url + "/rule", "secret": SECRET, "applied_by": "notify"})
    apply(rt, request)
    assert [(a["status"], a["reason"]) for a in answers(rt)] == [("refused", "url_not_allowed")]  # loopback

    allow_local_receivers(client, token_for("u-admin", "admin"))
    request = requested({"type": "webhook", "url": http.url + "/rule", "secret": SECRET, "applied_by": "notify"})
    apply(rt, request)
    answer = answers(rt)[-1]
    assert answer["status"] == "applied"
    deliveries.run(rt)
    [hook] = http.at("/rule")
    body = Webhook(SECRET.encode()).verify(hook["raw"], hook["headers"])
    assert hook["headers"]["webhook-id"] == request["subject"]
    assert body["type"] == "crm.automation.webhook" and body["data"]["record"]["customer_id"] == "C1"
    assert SECRET not in hook["raw"].decode() and SECRET.encode() not in json.dumps(
        [dict(r, url=None, secret=None) for r in rt.db.deliveries.find()], default=str).encode()
    sent = rt.db.deliveries.find_one({"_id": answer["result"]["delivery_id"]})
    assert sent["status"] == "sent" and sent["channel"] == "rule_webhook"
    assert b"rule-signing" not in bytes(sent["secret"])  # sealed at rest


def test_a_rule_paused_as_failing_tells_every_admin_once(rt, feed):
    feed.user("root", role="admin")
    feed.user("ops", role="admin")
    feed.user("rep-1")
    stamp = datetime.now(timezone.utc).isoformat()
    # an admin's own switch-off tells nobody; the pause published again (a relay's repeat) tells nobody twice
    for reason, rule_id in (("failing", "R1"), ("admin", "R2"), ("failing", "R1")):
        feed.send("crm.rule.deactivated", rule_id, {"rule_id": rule_id, "name": f"Rule {rule_id}", "rule_version": 1,
                                                    "reason": reason, "by": None, "deactivated_at": stamp})
    assert [(n["user_id"], n["title"]) for n in rt.db.inbox.find({"kind": "rule_paused"}).sort("user_id", 1)] == [
        ("ops", "自动化规则已暂停：Rule R1"), ("root", "自动化规则已暂停：Rule R1")]
    assert rt.db.inbox.count_documents({"user_id": "rep-1"}) == 0

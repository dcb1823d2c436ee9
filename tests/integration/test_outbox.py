"""The transactional outbox: state and events commit together; the relay publishes each at least once."""
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from crm_common import kafka
from crm_common.events import InvalidEvent
from crm_common.outbox import Relay
from crm_common.replay import mark_for_replay
from crm_common.testing.events import events_of, read_topic
from crm_common.testing.snapshots import customer_snapshot


@pytest.fixture
def relay(rt):
    return Relay(rt.db, rt.clock, lambda: rt.producer)


def add_user(rt, user_created, user_id, *, username="ann", fail=False):
    def work(session):
        rt.db.users.insert_one({"_id": user_id, "username": username}, session=session)
        rt.publish(session, user_created(user_id, username))
        if fail:
            raise RuntimeError("the request failed after writing")
    rt.transaction(work)


def test_the_state_change_and_its_event_are_stored_together(rt, user_created):
    add_user(rt, user_created, "u1")
    assert rt.db.users.find_one({"_id": "u1"})["username"] == "ann"
    [row] = rt.db.outbox.find()
    assert (row["status"], row["topic"], row["key"], row["type"]) == ("pending", "crm.org", "user:u1", "crm.user.created")
    assert row["version"] == row["event"]["version"] == 1
    assert row["event"]["data"]["user_id"] == "u1" and row["_id"] == row["event"]["id"]


def test_a_failure_inside_the_transaction_leaves_neither_state_nor_event(rt, user_created):
    with pytest.raises(RuntimeError):
        add_user(rt, user_created, "u1", fail=True)
    assert rt.db.users.count_documents({}) == 0 and rt.db.outbox.count_documents({}) == 0


def test_an_invalid_event_leaves_no_state_behind(rt):
    def work(session):
        rt.db.users.insert_one({"_id": "u1"}, session=session)
        rt.publish(session, rt.event("crm.user.created", "u1", {"user_id": "u1"}))
    with pytest.raises(InvalidEvent):
        rt.transaction(work)
    assert rt.db.users.count_documents({}) == 0 and rt.db.outbox.count_documents({}) == 0


def test_the_relay_publishes_in_order_keyed_by_aggregate_and_marks_rows_sent(rt, relay, user_created, servers):
    for user_id, username in [("u1", "a"), ("u2", "b"), ("u1", "c"), ("u1", "d")]:
        rt.transaction(lambda session, u=user_id, n=username: rt.publish(session, user_created(u, n)))
    assert relay.run_once() == 4
    messages = read_topic(servers.kafka_bootstrap, "crm.org", expect=4)
    assert len(messages) == 4
    by_key = {}
    for message in messages:
        by_key.setdefault(message.key, []).append(message)
    assert [events_of([m])[0]["data"]["username"] for m in by_key[b"u1"]] == ["a", "c", "d"]
    assert len({m.partition for m in by_key[b"u1"]}) == 1
    assert messages[0].headers == [("content-type", b"application/cloudevents+json; charset=utf-8")]
    assert rt.db.outbox.count_documents({"status": "sent", "sent_at": {"$ne": None}}) == 4
    assert relay.run_once() == 0


def test_rows_published_but_not_marked_before_a_crash_are_sent_again(rt, relay, user_created, servers):
    add_user(rt, user_created, "u1")
    assert relay.run_once() == 1
    rt.db.outbox.update_many({}, {"$set": {"status": "pending"}, "$unset": {"sent_at": ""}})  # the crash
    assert relay.run_once() == 1
    copies = events_of(read_topic(servers.kafka_bootstrap, "crm.org", expect=2))
    assert len(copies) == 2 and copies[0]["id"] == copies[1]["id"]
    assert rt.db.outbox.count_documents({"status": "pending"}) == 0


def test_the_relay_producer_waits_for_all_replicas_and_is_idempotent(rt):
    producer = kafka.producer(rt.settings)
    try:
        assert producer.config["acks"] == -1  # 'all'
        assert producer.config["enable_idempotence"] is True
        producer.send("crm.org", key=b"u1", value=b"{}").get(timeout=10)
        # The broker gave it a producer id: its retries are deduplicated, not written twice.
        assert producer._transaction_manager.producer_id_and_epoch.producer_id >= 0
    finally:
        producer.close(timeout=5)


def test_a_cloudevents_sdk_reads_what_the_relay_publishes(rt, relay, servers):
    """Structured mode of the CloudEvents Kafka binding: any consumer with the CNCF SDK gets the event."""
    snapshot = customer_snapshot("C1", name="Acme Tech")
    created = rt.event("crm.customer.created", "C1", {**snapshot, "source_lead_id": None,
                                                      "created_at": rt.clock.now().isoformat(), "by": "u1"})
    rt.transaction(lambda session: rt.publish(session, created))
    assert relay.run_once() == 1
    [message] = read_topic(servers.kafka_bootstrap, "crm.customers", expect=1)
    event = from_kafka_event(KafkaMessage(headers=dict(message.headers), key=message.key, value=message.value))
    assert (event.get_type(), event.get_id(), event.get_subject()) == ("crm.customer.created", created["id"], "C1")
    assert event.get_data()["name"] == "Acme Tech" and event.get_data()["customer_id"] == "C1"


def test_a_replay_publishes_sent_events_again(rt, user_created, relay, servers):
    add_user(rt, user_created, "u1")
    relay.run_once()
    sent_at = rt.db.outbox.find_one()["sent_at"]
    assert mark_for_replay(rt.db, sent_at) == 1
    assert relay.run_once() == 1
    copies = events_of(read_topic(servers.kafka_bootstrap, "crm.org", expect=2))
    assert [e["subject"] for e in copies] == ["u1", "u1"] and copies[0]["id"] == copies[1]["id"]

"""Nothing accepted is lost while the broker is down: the outbox keeps it until the broker is back."""
from crm_common import kafka
from crm_common.dev import localinfra
from crm_common.outbox import Relay
from crm_common.runtime import Runtime
from crm_common.testing import events


def test_events_written_while_the_broker_is_down_are_published_when_it_returns(settings_for, tmp_path):
    port = localinfra.free_port()  # a broker of this test's own, started only later
    settings = settings_for("lead-intake", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}")
    rt = Runtime(settings)

    def accept(session):
        rt.db.leads.insert_one({"_id": "L1", "name": "Zhang"}, session=session)
        rt.publish(session, rt.event("crm.lead.received", "L1", {
            "lead_id": "L1", "channel_id": "web", "phones": ["+8613800138000"], "emails": [],
            "received_at": "2026-11-22T08:00:00Z", "score": 20, "bucket": "cold"}))
    rt.transaction(accept)

    relay = Relay(rt.db, rt.clock, lambda: kafka.producer(settings))
    try:
        relay.run_once()
        raise AssertionError("publishing should fail while no broker listens")
    except Exception as exc:  # noqa: BLE001 - whatever the client raises, the row must stay
        assert "AssertionError" not in type(exc).__name__
    assert rt.db.outbox.count_documents({"status": "pending"}) == 1

    broker = localinfra.spawn(localinfra.kafka_command(port), port, tmp_path / "kafka.log")
    try:
        kafka.ensure_topics(settings)
        assert relay.run_once() == 1
        [message] = events.read_topic(f"127.0.0.1:{port}", "crm.leads", expect=1)
        assert message.key == b"L1"
        assert events.events_of([message])[0]["data"]["lead_id"] == "L1"
        assert rt.db.outbox.count_documents({"status": "pending"}) == 0
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        rt.close()


def test_a_broker_that_lost_its_state_is_seen_as_lost_until_the_log_is_queued_again(settings_for, tmp_path):
    # the chaos run: the broker came back empty, the database restarted while the log was being queued
    # again, and the marker already made hid the loss for good; events were never published again
    port = localinfra.free_port()
    broker = localinfra.spawn(localinfra.kafka_command(port), port, tmp_path / "kafka.log")
    watch = kafka.BrokerWatch(settings_for("pool", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}"), wait_seconds=30)
    try:
        assert watch.check()  # empty: the log must go out again
        assert watch.check()  # queueing it failed: still seen as lost
        watch.mark()  # queued: the broker holds what it must
        assert not watch.check()
    finally:
        watch.close()
        broker.terminate()
        broker.wait(timeout=10)

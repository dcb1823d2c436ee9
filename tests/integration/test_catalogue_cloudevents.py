"""Every event type the catalogue lists reaches its topic in the CloudEvents Kafka binding's structured
mode, so the CNCF SDK (`cloudevents`) reads each one; and a consumer still reads the old form (a
structured body with `ce_type`/`ce_id` headers) during a rolling upgrade."""
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from kafka import TopicPartition

from crm_common import catalogue
from crm_common.events import contract_types, encode, message_key, topic_for
from crm_common.outbox import Relay
from crm_common.testing.events import read_topic


def test_the_cloudevents_sdk_reads_one_event_of_every_contract_type_the_relay_published(rt, servers):
    published = {}
    for n, (event_type, version) in enumerate(contract_types()):
        aggregate = event_type.split(".")[1]
        key = f"customer-{n}" if aggregate == "opportunity" else None  # a deal travels with its customer
        event = rt.event(event_type, f"{aggregate}-{n}", catalogue.example_data(event_type, version), key=key)
        published[event["id"]] = event
    rt.transaction(lambda session: rt.publish(session, *published.values()))
    relay = Relay(rt.db, rt.clock, lambda: rt.producer)
    while relay.run_once():
        pass

    read = {}
    for topic in sorted({topic_for(e["type"]) for e in published.values()}):
        expected = sum(topic_for(e["type"]) == topic for e in published.values())
        for message in read_topic(servers.kafka_bootstrap, topic, expect=expected):
            assert dict(message.headers) == {"content-type": b"application/cloudevents+json; charset=utf-8"}
            event = from_kafka_event(KafkaMessage(headers=dict(message.headers), key=message.key, value=message.value))
            read[event.get_id()] = event
    assert set(read) == set(published)  # every type, none lost, none unreadable
    for event_id, sent in published.items():
        event = read[event_id]
        assert (event.get_type(), event.get_subject(), event.get_data()) == (sent["type"], sent["subject"], sent["data"])
        assert event.get_attributes().get("version") == sent["version"] == 1
        # The SDK reads the message key as the partitionkey: a deal's events share its customer's partition.
        assert event.get_attributes().get("partitionkey") == message_key(sent).decode(), sent["type"]
    assert {e.get_type() for e in read.values()} == {t for t, _ in contract_types()}


def test_a_consumer_still_applies_an_event_written_in_the_old_form(rt, loop_for, group, drive, user_created):
    """Before the relay moved to structured mode it sent the same body with `ce_type` and `ce_id`
    headers; messages of that form stay on the topic while the services are upgraded one by one."""
    old = {**user_created("u1", "ann"), "version": 1}
    new = {**rt.event("crm.user.updated", "u1", {**catalogue.example_data("crm.user.updated"), "user_id": "u1",
                                                 "username": "ann.li"}), "version": 2}
    rt.producer.send("crm.org", key=b"u1", value=encode(old),
                     headers=[("ce_type", old["type"].encode()), ("ce_id", old["id"].encode())]).get(timeout=10)
    last = rt.producer.send("crm.org", key=b"u1", value=encode(new),
                            headers=[("content-type", b"application/cloudevents+json; charset=utf-8")]).get(timeout=10)
    seen = []

    def record(event, session):
        seen.append((event["type"], event["version"], event["data"]["username"]))
    loop = loop_for(group, {"crm.user.created": record, "crm.user.updated": record})
    partition = TopicPartition(last.topic, last.partition)
    drive(loop, lambda: bool(loop.consumer.assignment()) and loop.consumer.committed(partition) == last.offset + 1)
    assert seen == [("crm.user.created", 1, "ann"), ("crm.user.updated", 2, "ann.li")]

"""The consumer loop: an effect happens once, a poison message is dead-lettered, offsets are committed."""
import uuid

import pytest
from kafka import TopicPartition

from crm_common.consumer import ConsumerLoop
from crm_common.events import encode
from crm_common.testing.state import read_topic

TYPE = "crm.user.created"


@pytest.fixture
def group():
    """A group of this test's own: the broker keeps a group's offsets even after its topics are deleted."""
    return f"welcomer-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def loops(rt, group):
    made = []

    def start(handlers: dict) -> ConsumerLoop:
        made.append(ConsumerLoop(rt, group, handlers, max_attempts=3, backoff_seconds=0.01))
        made[-1].consumer.subscribe(made[-1].topics)
        return made[-1]
    yield start
    for loop in made:
        loop.consumer.close(autocommit=False)


@pytest.fixture
def attempts():
    return []


@pytest.fixture
def welcome(rt, attempts):
    """A handler with a visible effect: a welcome counted per user; the user "poison" always fails."""
    def handle(event, session):
        attempts.append(event["data"]["username"])
        if event["data"]["username"] == "poison":
            raise ValueError("this user cannot be welcomed")
        rt.db.welcomes.update_one({"_id": event["subject"]}, {"$inc": {"times": 1}}, upsert=True, session=session)
    return handle


def send(rt, value: bytes, key: str = "k1"):
    """Put a raw message on crm.org; one key, so one partition, in order."""
    return rt.producer.send("crm.org", key=key.encode(), value=value).get(timeout=10)


def welcomed(rt, user_id: str):
    return (rt.db.welcomes.find_one({"_id": user_id}) or {}).get("times")


def committed(loop, sent) -> bool:
    """The group's committed offset is past `sent` (asked only once the group has joined)."""
    partition = TopicPartition(sent.topic, sent.partition)
    return bool(loop.consumer.assignment()) and loop.consumer.committed(partition) == sent.offset + 1


def test_an_event_delivered_twice_has_its_effect_once(rt, loops, drive, welcome, user_created):
    event = user_created("u1")
    send(rt, encode(event))
    second = send(rt, encode(event))
    loop = loops({TYPE: welcome})
    drive(loop, lambda: committed(loop, second))
    assert welcomed(rt, "u1") == 1
    assert rt.db.processed_events.count_documents({}) == 1


def test_a_failing_event_is_dead_lettered_after_bounded_retries_and_the_partition_moves_on(
        rt, loops, drive, welcome, attempts, user_created, servers):
    poison = send(rt, encode(user_created("u1", "poison")))
    after = send(rt, encode(user_created("u2", "bob")))
    loop = loops({TYPE: welcome})
    drive(loop, lambda: committed(loop, after))
    assert welcomed(rt, "u2") == 1 and welcomed(rt, "u1") is None
    assert attempts == ["poison"] * 3 + ["bob"]
    [dead] = read_topic(servers.kafka_bootstrap, "crm.org.dlq", expect=1)
    headers = dict(dead.headers)
    assert headers["dlq_topic"] == b"crm.org"
    assert headers["dlq_partition"] == str(poison.partition).encode()
    assert headers["dlq_offset"] == str(poison.offset).encode()
    assert b"this user cannot be welcomed" in headers["dlq_reason"]
    assert dead.key == b"k1" and b"poison" in dead.value
    assert rt.metrics.registry.get_sample_value("events_failed_total", {"type": TYPE}) == 1


def test_a_message_that_is_not_an_event_is_dead_lettered(rt, loops, drive, welcome, user_created, servers):
    not_json = send(rt, b"not json{")
    not_event = send(rt, b'{"hello": "world"}')
    after = send(rt, encode(user_created("u1")))
    loop = loops({TYPE: welcome})
    drive(loop, lambda: committed(loop, after))
    assert welcomed(rt, "u1") == 1
    dead = read_topic(servers.kafka_bootstrap, "crm.org.dlq", expect=2)
    reasons = {int(dict(m.headers)["dlq_offset"]): dict(m.headers)["dlq_reason"] for m in dead}
    assert set(reasons) == {not_json.offset, not_event.offset}
    assert b"not JSON" in reasons[not_json.offset] and b"not a CloudEvent" in reasons[not_event.offset]
    assert {m.value for m in dead} == {b"not json{", b'{"hello": "world"}'}


def test_a_new_consumer_in_the_group_does_not_see_handled_messages_again(rt, loops, drive, welcome, user_created):
    send(rt, encode(user_created("u1")))
    send(rt, encode(user_created("u2")))
    first = loops({TYPE: welcome})
    drive(first, lambda: welcomed(rt, "u1") and welcomed(rt, "u2"))
    first.consumer.close(autocommit=False)  # the worker stops (or crashes) after its last commit
    send(rt, encode(user_created("u3")))
    replacement = loops({TYPE: welcome})
    assert drive(replacement, lambda: welcomed(rt, "u3")) == 1  # only the new message was delivered

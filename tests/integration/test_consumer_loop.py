"""The consumer loop: an effect happens once, a poison message is dead-lettered, offsets are committed."""
import pytest
from kafka import TopicPartition

from crm_common import dlq
from crm_common.events import encode
from crm_common.testing.events import read_topic

TYPE = "crm.user.created"


@pytest.fixture
def loops(loop_for, group):
    return lambda handlers: loop_for(group, handlers)


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


def held_rows(rt, group):
    return list(rt.db.consumer_held.find({"group": group}))


def held_attempts(rt, group) -> int:
    """Attempts counted on the held partition (a batch that failed is tried again one event at a time)."""
    return max([row["attempts"] for row in held_rows(rt, group)], default=0)


def test_a_failing_event_holds_its_partition_and_is_retried_until_it_succeeds(
        rt, loops, drive, welcome, attempts, user_created, group):
    poison = send(rt, encode(user_created("u1", "poison")))
    after = send(rt, encode(user_created("u2", "bob")))           # same key: same partition, must wait
    elsewhere = send(rt, encode(user_created("u3", "cy")), key="another-key")
    loop = loops({TYPE: welcome})
    drive(loop, lambda: held_attempts(rt, group) >= 4 and welcomed(rt, "u3") == (
        1 if elsewhere.partition != poison.partition else None))
    assert welcomed(rt, "u2") is None, "a later event of a held partition was applied before the failing one"
    assert "bob" not in attempts
    [row] = held_rows(rt, group)
    assert (row["topic"], row["partition"], row["offset"]) == ("crm.org", poison.partition, poison.offset)
    assert "cannot be welcomed" in row["error"] and row["attempts"] >= 4
    assert rt.metrics.registry.get_sample_value("consumer_held", {"topic": "crm.org",
                                                                  "partition": str(poison.partition)}) == 1
    attempts.clear()
    loop.handlers[TYPE] = lambda event, session: (attempts.append("fixed"), rt.db.welcomes.update_one(
        {"_id": event["subject"]}, {"$inc": {"times": 1}}, upsert=True, session=session))
    drive(loop, lambda: committed(loop, after))
    assert welcomed(rt, "u1") == 1 and welcomed(rt, "u2") == 1
    assert held_rows(rt, group) == []
    assert rt.metrics.registry.get_sample_value("consumer_held", {"topic": "crm.org",
                                                                  "partition": str(poison.partition)}) == 0


def test_an_admin_moves_a_holding_event_to_the_dead_letter_topic_and_the_partition_moves_on(
        rt, loops, drive, welcome, attempts, user_created, group, servers, monkeypatch):
    poison = send(rt, encode(user_created("u1", "poison")))
    after = send(rt, encode(user_created("u2", "bob")))
    loop = loops({TYPE: welcome})
    drive(loop, lambda: len(held_rows(rt, group)) == 1)
    for name, value in (("MONGO_URI", servers.mongo_uri), ("MONGO_DB", rt.settings.mongo_db)):
        monkeypatch.setenv(name, value)
    dlq.main(["skip", group, "crm.org", str(poison.partition)])  # the admin command, as an admin runs it
    drive(loop, lambda: committed(loop, after))
    assert welcomed(rt, "u2") == 1 and welcomed(rt, "u1") is None
    [dead] = read_topic(servers.kafka_bootstrap, "crm.org.dlq", expect=1)
    headers = dict(dead.headers)
    assert headers["dlq_topic"] == b"crm.org" and headers["dlq_group"] == group.encode()
    assert headers["dlq_offset"] == str(poison.offset).encode()
    assert b"moved by an admin" in headers["dlq_reason"] and b"cannot be welcomed" in headers["dlq_reason"]
    assert held_rows(rt, group) == []


@pytest.mark.parametrize("spoil, reason", [
    (lambda e: e.update(type=["crm.user.created"]), b"type must be a non-empty string"),
    (lambda e: e.update(traceparent=42), b"traceparent must be a string"),
    (lambda e: e["data"].pop("username"), b"username"),
    (lambda e: e.update(version="7"), b"version must be a positive integer"),
])
def test_an_invalid_event_is_dead_lettered_at_once_and_the_loop_goes_on(
        rt, loops, drive, welcome, attempts, user_created, servers, spoil, reason):
    bad = user_created("u1")
    spoil(bad)
    send(rt, encode(bad))
    after = send(rt, encode(user_created("u2", "bob")))
    loop = loops({TYPE: welcome})
    drive(loop, lambda: committed(loop, after))
    assert welcomed(rt, "u2") == 1 and welcomed(rt, "u1") is None
    [dead] = read_topic(servers.kafka_bootstrap, "crm.org.dlq", expect=1)
    assert reason in dict(dead.headers)["dlq_reason"]


def test_a_consumer_that_lost_its_group_is_rebuilt_and_goes_on(rt, loops, drive, welcome, user_created):
    send(rt, encode(user_created("u1")))
    loop = loops({TYPE: welcome})
    drive(loop, lambda: welcomed(rt, "u1") == 1)
    loop.consumer.close(autocommit=False)  # as after CommitFailedError: this consumer is no use any more
    with pytest.raises(Exception):
        loop.poll_once(timeout_ms=100)
    loop.restart()
    send(rt, encode(user_created("u2")))
    drive(loop, lambda: welcomed(rt, "u2") == 1)
    assert welcomed(rt, "u1") == 1


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

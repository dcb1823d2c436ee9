"""The relay keeps each aggregate's order through failed sends, and blames the broker, not a row, for its outages.

The producer here is the real one, on the real broker, with a wrapper that makes chosen sends fail.
"""
import json
import time

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, NotLeaderForPartitionError, RequestTimedOutError
from kafka.future import Future

from crm_common.outbox import BrokerUnavailable, Relay
from crm_common.scheduler import Job, Scheduler
from crm_common.testing.events import events_of, read_topic


class Producer:
    """The real producer, except for the sends a test makes fail."""

    def __init__(self, real):
        self.real = real
        # event id -> how its next send fails: raised when no metadata came in time, as the producer
        # does, else in the send's future, as the broker's answer
        self.fail_once: dict[str, Exception] = {}
        self.away: dict[bytes, Exception] = {}  # Kafka key -> every send of it fails with this (its partition is down)
        self.unacked: set[bytes] = set()  # Kafka keys whose sends the broker never acks

    def send(self, topic, *, key, value, headers):
        event_id = json.loads(value)["id"]
        if event_id in self.fail_once:
            error = self.fail_once.pop(event_id)
            if isinstance(error, KafkaTimeoutError):
                raise error
            return Future().failure(error)
        if key in self.away:
            return Future().failure(self.away[key])
        if key in self.unacked:
            return Future()
        return self.real.send(topic, key=key, value=value, headers=headers)

    def flush(self, timeout=None):
        started = time.monotonic()
        self.real.flush(timeout=timeout)
        if self.unacked:  # what a flush that runs out does
            time.sleep(max(0.0, timeout - (time.monotonic() - started)))
            raise KafkaTimeoutError(f"flush not done in {timeout} s")


@pytest.fixture
def producer(rt):
    return Producer(rt.producer)


@pytest.fixture
def relay(rt, producer):
    return Relay(rt.db, rt.clock, lambda: producer, max_attempts=3, retry_seconds=0)


def change_user(rt, user_created, user_id: str, *names: str) -> list[str]:
    """One transaction per name, so the user's events get versions 1, 2, ...; their ids."""
    ids = []
    for name in names:
        event = user_created(user_id, name)
        rt.transaction(lambda session, e=event: rt.publish(session, e))
        ids.append(event["id"])
    return ids


def on_topic(servers, key: bytes, at_least: int) -> list[int]:
    """The versions of `key`'s events on crm.org, in the order a consumer reads them."""
    messages = read_topic(servers.kafka_bootstrap, "crm.org", expect=at_least + 1, timeout=2)
    return [event["version"] for event in events_of(m for m in messages if m.key == key)]


@pytest.mark.parametrize("error", [KafkaTimeoutError("no metadata for crm.org in time"),
                                   MessageSizeTooLargeError("over max.request.size")],
                         ids=["broker error", "row error"])
def test_a_failed_send_holds_back_the_later_events_of_its_aggregate(rt, user_created, relay, producer, servers,
                                                                    error):
    v1, v2, v3 = change_user(rt, user_created, "u1", "a", "b", "c")
    producer.fail_once[v2] = error
    assert relay.run_once() == 1  # v1; v3 would have gone through, but must not pass v2
    assert rt.db.outbox.find_one({"_id": v3})["status"] == "pending"
    assert relay.run_once() == 2
    assert on_topic(servers, b"u1", 3) == [1, 2, 3]  # in order, once each
    assert rt.db.outbox.count_documents({"status": "sent"}) == 3


def test_only_a_rows_own_error_counts_as_an_attempt(rt, user_created, relay, producer):
    [too_large] = change_user(rt, user_created, "u1", "a")
    [timed_out] = change_user(rt, user_created, "u2", "b")
    producer.fail_once.update({too_large: MessageSizeTooLargeError("too large"),
                               timed_out: RequestTimedOutError("the broker did not answer in time")})
    change_user(rt, user_created, "u3", "c")
    assert relay.run_once() == 1  # u3
    assert rt.db.outbox.find_one({"_id": too_large})["attempts"] == 1
    assert rt.db.outbox.find_one({"_id": timed_out})["attempts"] == 0


def test_a_partition_away_makes_its_aggregates_wait_never_fail(rt, user_created, relay, producer, servers):
    producer.away[b"u1"] = NotLeaderForPartitionError("the partition's leader is away")
    change_user(rt, user_created, "u1", "a", "b")
    change_user(rt, user_created, "u2", "c")
    assert relay.run_once() == 1  # u2 goes; u1's partition is away
    for _ in range(5):  # more rounds than the relay's 3 attempts
        with pytest.raises(BrokerUnavailable):
            relay.run_once()  # nothing got through: the worker backs off and makes a new producer
    assert rt.db.outbox.count_documents({"status": "failed"}) == 0
    assert [row["attempts"] for row in rt.db.outbox.find({"key": "user:u1"})] == [0, 0]
    del producer.away[b"u1"]  # the partition is back
    assert relay.run_once() == 2
    assert on_topic(servers, b"u1", 2) == [1, 2]


def test_a_partition_away_waits_a_while_and_lets_the_others_through(rt, user_created, producer):
    relay = Relay(rt.db, rt.clock, lambda: producer, retry_seconds=0.5)
    producer.away[b"u1"] = NotLeaderForPartitionError("the partition's leader is away")
    change_user(rt, user_created, "u1", "a")
    change_user(rt, user_created, "u2", "b")
    assert relay.run_once() == 1
    change_user(rt, user_created, "u3", "c")
    assert relay.run_once() == 1  # u3, without waiting on u1 again
    del producer.away[b"u1"]
    assert relay.run_once() == 0  # u1 waits its half second
    time.sleep(0.6)
    assert relay.run_once() == 1


def test_a_flush_ends_well_within_the_relays_lease_and_what_was_not_acked_goes_again(rt, user_created, producer,
                                                                                    servers):
    relay = Relay(rt.db, rt.clock, lambda: producer, flush_seconds=30, retry_seconds=0)
    scheduler = Scheduler(rt.db, rt.clock, [Job("outbox-relay", 0.05, relay.run_once, lease_seconds=2, on_tick=False)])
    assert scheduler.hold("outbox-relay")
    change_user(rt, user_created, "u1", "a")
    change_user(rt, user_created, "u2", "b")
    producer.unacked.add(b"u1")  # the broker takes u1's send but never acks it
    started = time.monotonic()
    assert relay.run_once() == 1
    assert time.monotonic() - started < 1.5  # not the 30 s asked for: the lease is 2 s
    assert rt.db.outbox.find_one({"key": "user:u1"})["status"] == "pending"
    producer.unacked.clear()
    assert relay.run_once() == 1  # sent again next round
    assert on_topic(servers, b"u1", 1) == [1]
    scheduler.let_go("outbox-relay")

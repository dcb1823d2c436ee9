"""Retries end: an event whose handler keeps failing is dead-lettered after its bound, the partition moves
on, and its aggregate's later events wait for it until it is redriven (or skipped by an admin)."""
import logging

import pytest
from kafka import TopicPartition

from crm_common import dlq
from crm_common.testing.events import read_topic

USER = "crm.user.created"


@pytest.fixture
def seen():
    return []


@pytest.fixture
def broken():
    return {"poison": True}


@pytest.fixture
def handler(seen, broken):
    def handle(event, session):
        if broken.get(event["data"]["username"]):
            raise RuntimeError("the welcome service refuses this user")
        seen.append((event["subject"], event["version"]))
    return handle


def guard_row(rt, group, stream):
    return rt.db.applied_versions.find_one({"_id": f"{group}|{stream}"}) or {}


@pytest.fixture
def dead_lettered(rt, loop_for, drive, put, user_created, group, seen, handler, caplog):
    """u1 v1 fails for good; u2 (another user, the same partition) and u1 v2 come after it."""
    caplog.set_level(logging.ERROR, logger="crm_common.consumer")
    first = put(user_created("u1", "poison"), 1)
    put(user_created("u2", "bob"), 1, key="u1")
    put(user_created("u1", "later"), 2)
    loop = loop_for(group, {USER: handler}, max_attempts=3)
    drive(loop, lambda: ("u2", 1) in seen and guard_row(rt, group, "user:u1").get("parked") == [2])
    return loop, first


def test_an_event_failing_past_its_bound_is_dead_lettered_and_the_partition_moves_on(
        rt, dead_lettered, seen, group, servers, caplog):
    loop, first = dead_lettered
    assert seen == [("u2", 1)], "a later event of the failing user was applied before it"
    [dead] = read_topic(servers.kafka_bootstrap, "crm.org.dlq", expect=1)
    headers = dict(dead.headers)
    assert headers["dlq_offset"] == str(first.offset).encode() and headers["dlq_group"] == group.encode()
    assert b"failed 3 times" in headers["dlq_reason"] and b"refuses this user" in headers["dlq_reason"]
    assert rt.metrics.registry.get_sample_value(
        "events_dead_lettered_total", {"type": USER, "reason": "handler_failed"}) == 1
    assert any("dead-lettering" in r.getMessage() and "user:u1" in r.getMessage() for r in caplog.get_records("setup"))
    assert rt.db.consumer_held.count_documents({"group": group}) == 0  # the partition is not held any more
    assert guard_row(rt, group, "user:u1")["held"]["version"] == 1


def test_redriving_the_dead_letter_applies_it_then_the_events_that_waited_in_order(
        rt, dead_lettered, drive, seen, broken, group):
    loop, _ = dead_lettered
    broken["poison"] = False
    assert dlq.redrive(rt.settings, group) == 1
    drive(loop, lambda: len(seen) == 3)
    assert seen == [("u2", 1), ("u1", 1), ("u1", 2)]
    row = guard_row(rt, group, "user:u1")
    assert row["version"] == 2 and "held" not in row and row["parked"] == []


def test_an_admin_skips_the_dead_letter_and_the_waiting_events_are_applied_without_it(
        rt, dead_lettered, drive, seen, group, servers, monkeypatch):
    loop, _ = dead_lettered
    for name, value in (("MONGO_URI", servers.mongo_uri), ("MONGO_DB", rt.settings.mongo_db)):
        monkeypatch.setenv(name, value)
    dlq.main(["skip", group, "user:u1"])
    drive(loop, lambda: len(seen) == 2)
    assert seen == [("u2", 1), ("u1", 2)]
    row = guard_row(rt, group, "user:u1")
    assert row["version"] == 2 and "held" not in row and row["holes"] == [[1, 1]]
    assert rt.db.consumer_releases.count_documents({}) == 0


def test_the_bound_is_also_a_time(rt, loop_for, drive, put, user_created, group, handler, seen):
    put(user_created("u1", "poison"), 1)
    after = put(user_created("u2", "bob"), 1, key="u1")
    loop = loop_for(group, {USER: handler}, max_attempts=1000, max_retry_seconds=0.3)
    partition = TopicPartition(after.topic, after.partition)
    drive(loop, lambda: bool(loop.consumer.assignment()) and loop.consumer.committed(partition) == after.offset + 1)
    assert seen == [("u2", 1)] and guard_row(rt, group, "user:u1")["held"]["version"] == 1

"""The subscriber kit on the real broker: the example app (examples/subscriber) sees a customer's events
in version order, once each, though the service's log was replayed; `crm_events.Subscriber` passes over
what breaks a contract, fills a missed fact as the services' guard does, and commits only what was handled."""
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm_common import catalogue, kafka
from crm_common.events import encode
from crm_common.outbox import Relay
from crm_common.replay import mark_for_replay
from crm_common.testing.snapshots import customer_snapshot
from crm_events import Subscriber

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "subscriber" / "subscriber.py"
HISTORY = [("crm.customer.created", "lead_acquired"), ("crm.customer.updated", "lead_acquired"),
           ("crm.customer.stage_changed", "needs_confirmed"), ("crm.customer.followed_up", "needs_confirmed"),
           ("crm.customer.won", "contract_signed")]


@pytest.fixture
def customer_rt(runtime_for):
    rt = runtime_for("customer")
    kafka.ensure_topics(rt.settings)
    return rt


def customer_event(rt, event_type: str, customer_id: str, stage: str) -> dict:
    data = {**catalogue.example_data(event_type), **customer_snapshot(customer_id, name=f"Acme {customer_id}",
                                                                      stage=stage)}
    return rt.event(event_type, customer_id, data)


def run_example(servers, tmp_path, group: str, *options: str, state: str = "app.sqlite") -> list[dict]:
    done = subprocess.run([sys.executable, str(EXAMPLE), "--bootstrap", servers.kafka_bootstrap, "--group", group,
                           "--state", str(tmp_path / state), "--stop-when-idle", "2", *options],
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_example_sees_a_customers_events_in_version_order_once_though_the_log_was_replayed(
        customer_rt, servers, tmp_path, group):
    rt = customer_rt
    for event_type, stage in HISTORY:  # one change a transaction, another customer's between: versions 1..5
        rt.transaction(lambda session: rt.publish(session, customer_event(rt, event_type, "C1", stage)))
        rt.transaction(lambda session: rt.publish(session, customer_event(rt, "crm.customer.updated", "C2", stage)))
    relay = Relay(rt.db, rt.clock, lambda: rt.producer)
    while relay.run_once():
        pass
    assert mark_for_replay(rt.db) == 10  # every event is on the topic twice now
    while relay.run_once():
        pass

    seen = run_example(servers, tmp_path, group)
    c1 = [(line["type"], line["version"], line["stage"]) for line in seen if line["subject"] == "C1"]
    assert c1 == [(t, n, stage) for n, (t, stage) in enumerate(HISTORY, 1)]
    assert [line["version"] for line in seen if line["subject"] == "C2"] == [1, 2, 3, 4, 5]
    with sqlite3.connect(tmp_path / "app.sqlite") as db:
        assert db.execute("SELECT name, stage, version FROM customers WHERE id = 'C1'").fetchone() == (
            "Acme C1", "contract_signed", 5)
    assert run_example(servers, tmp_path, group) == []  # its offsets were committed after handling
    # From the start with a state of its own: the whole history again, still once each and in order.
    again = run_example(servers, tmp_path, group, "--from-start", state="fresh.sqlite")
    assert [line["version"] for line in again if line["subject"] == "C1"] == [1, 2, 3, 4, 5] and len(again) == 10


def put(rt, event: dict, version: int) -> None:
    rt.producer.send("crm.customers", key=event["subject"].encode(), value=encode({**event, "version": version}),
                     headers=[("content-type", b"application/cloudevents+json; charset=utf-8")]).get(timeout=10)


def poll_until(subscriber: Subscriber, done, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the subscriber did not get there in time"
        subscriber.poll_once(timeout_ms=200)


def test_the_subscriber_passes_over_a_broken_event_and_fills_a_missed_fact_as_the_services_do(
        customer_rt, servers, tmp_path, group):
    rt, got = customer_rt, []
    created = customer_event(rt, "crm.customer.created", "C1", "lead_acquired")
    broken = {**customer_event(rt, "crm.customer.updated", "C1", "lead_acquired"), "data": {"customer_id": "C1"}}
    updated = customer_event(rt, "crm.customer.updated", "C1", "needs_confirmed")
    payment = customer_event(rt, "crm.customer.payment_received", "C1", "lead_acquired")
    for event, version in [(created, 1), (broken, 2), (updated, 3), (created, 1), (payment, 2), (payment, 2)]:
        put(rt, event, version)
    subscriber = Subscriber(servers.kafka_bootstrap, group, {"crm.customer.*": lambda e, db: got.append(
        (e.type, e.version))}, state=str(tmp_path / "state.sqlite"))
    try:
        poll_until(subscriber, lambda: len(got) == 3 and subscriber.invalid == 1)
        time.sleep(1)
        subscriber.poll_once(timeout_ms=500)
    finally:
        subscriber.close()
    # v2 broke its contract and was passed over; the late payment (a fact) fills its place once; the
    # repeated created (v1, older than v3) changes nothing.
    assert got == [("crm.customer.created", 1), ("crm.customer.updated", 3), ("crm.customer.payment_received", 2)]
    assert subscriber.invalid == 1


def test_an_event_whose_handler_failed_is_read_again_and_applied_once(customer_rt, servers, tmp_path, group):
    rt, got, state = customer_rt, [], str(tmp_path / "state.sqlite")
    put(rt, customer_event(rt, "crm.customer.created", "C1", "lead_acquired"), 1)
    put(rt, customer_event(rt, "crm.customer.updated", "C1", "needs_confirmed"), 2)

    def fails_on_update(event, db):
        if event.type == "crm.customer.updated":
            raise RuntimeError("the app's database is away")
        got.append(event.version)
    first = Subscriber(servers.kafka_bootstrap, group, {"crm.customer.*": fails_on_update}, state=state)
    with pytest.raises(RuntimeError):
        poll_until(first, lambda: False)
    first.close()  # nothing of that poll was committed

    second = Subscriber(servers.kafka_bootstrap, group, {"crm.customer.*": lambda e, db: got.append(e.version)},
                        state=state)
    try:
        poll_until(second, lambda: got[-1:] == [2])
    finally:
        second.close()
    assert got == [1, 2]  # v1 came again with the failed poll, and the version row passed over it


def test_the_kits_verdicts_are_the_services_guards_event_by_event(customer_rt):
    """The same sequence through crm_common.guard.claim (the services' rows in MongoDB) and the kit's rows."""
    from crm_common import guard
    from crm_events import Versions

    rt, kit = customer_rt, Versions()
    kinds = ["crm.customer.updated", "crm.customer.payment_received", "crm.customer.followed_up"]
    sequence = [(kinds[n % 3], version) for n, version in enumerate([1, 1, 3, 2, 7, 5, 4, 6, 2, 5, 8, 8, 6])]
    sequence += [("crm.customer.deleted", 9), ("crm.customer.payment_received", 3), ("crm.customer.updated", 10)]
    for n, (event_type, version) in enumerate(sequence):
        event = {"type": event_type, "subject": "C1", "version": version, "id": f"e{n}"}
        service = rt.transaction(lambda session: guard.claim(rt.db, session, "a-service", event, rt.clock.now()))
        assert kit.admit(event) == service, (event_type, version)

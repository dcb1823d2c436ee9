"""One order per aggregate, an outbox that cannot jam, and a log that outlives the broker."""
import dataclasses
import json
import subprocess
import sys
import threading
import time

import pytest

from crm_common import kafka, mongo, outbox
from crm_common.dev import localinfra
from crm_common.scheduler import Job, Scheduler
from crm_common.consumer import ConsumerLoop
from crm_common.outbox import Relay
from crm_common.runtime import Runtime
from crm_common.scheduler import Job, Scheduler
from crm_common.testing import events
from crm_common import worker as worker_module
from crm_common.worker import Worker

CHANGER = """
import sys
from crm_common.runtime import Runtime
from crm_common.settings import Settings
rt = Runtime(Settings.from_env("plumbing"))
for i in range(50):
    def change(session, i=i):
        rt.db.users.update_one({"_id": "u1"}, {"$inc": {"changes": 1}}, upsert=True, session=session)
        rt.publish(session, rt.event("crm.user.created", "u1", {
            "user_id": "u1", "username": f"{sys.argv[1]}-{i}", "role": "rep", "department_path": [], "active": True}))
    rt.transaction(change)
rt.close()
"""


@pytest.fixture
def relay(rt):
    return Relay(rt.db, rt.clock, lambda: rt.producer)


def test_four_processes_changing_one_aggregate_are_published_in_version_order(rt, relay, servers):
    env = {"CRM_ENV": "test", "MONGO_URI": servers.mongo_uri, "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
           "MONGO_DB": rt.settings.mongo_db, "PATH": ""}
    writers = [subprocess.Popen([sys.executable, "-c", CHANGER, f"p{n}"], env=env) for n in range(4)]
    assert [w.wait(timeout=180) for w in writers] == [0, 0, 0, 0]
    assert rt.db.users.find_one({"_id": "u1"})["changes"] == 200
    while relay.run_once():
        pass
    messages = [m for m in events.read_topic(servers.kafka_bootstrap, "crm.org", expect=200) if m.key == b"u1"]
    assert len({m.partition for m in messages}) == 1
    versions = [json.loads(m.value)["version"] for m in sorted(messages, key=lambda m: m.offset)]
    assert versions == list(range(1, 201))


def huge_event(rt, user_id, size=600 * 1024):
    return rt.event("crm.user.created", user_id, {"user_id": user_id, "username": "x" * size,
                                                   "role": "rep", "department_path": [], "active": True})


def test_an_event_too_large_for_the_broker_is_refused_when_written_and_nothing_is_stored(rt):
    def work(session):
        rt.db.users.insert_one({"_id": "u1"}, session=session)
        rt.publish(session, huge_event(rt, "u1"))
    with pytest.raises(outbox.EventTooLarge) as refused:
        rt.transaction(work)
    assert refused.value.status == 413
    assert rt.db.users.count_documents({}) == 0 and rt.db.outbox.count_documents({}) == 0


def test_a_row_that_keeps_failing_is_marked_failed_and_holds_back_only_its_aggregate(rt, user_created, capsys,
                                                                                   monkeypatch, servers):
    relay = Relay(rt.db, rt.clock, lambda: rt.producer, max_attempts=3)
    bad = huge_event(rt, "u1", size=1200 * 1024)
    bad.update(version=1)  # written before the size check existed: the broker refuses it
    rt.db.outbox.insert_one({"_id": bad["id"], "seq": 1, "key": "user:u1", "version": 1, "topic": "crm.org",
                             "type": bad["type"], "event": bad, "status": "pending", "attempts": 0})
    rt.db.event_versions.insert_one({"_id": "user:u1", "version": 1})
    rt.transaction(lambda s: rt.publish(s, user_created("u1", "later")))   # waits behind the bad one
    for n in range(3):
        rt.transaction(lambda s, n=n: rt.publish(s, user_created(f"other{n}")))
        relay.run_once()
    row = rt.db.outbox.find_one({"_id": bad["id"]})
    assert row["status"] == "failed" and row["attempts"] == 3 and "MessageSizeTooLarge" in row["last_error"]
    assert rt.db.outbox.find_one({"key": "user:u1", "version": 2})["status"] == "pending"
    assert rt.db.outbox.count_documents({"key": {"$ne": "user:u1"}, "status": "sent"}) == 3
    rt.transaction(lambda s: rt.publish(s, user_created("other9")))
    assert relay.run_once() == 1  # the other aggregates are not held back
    assert outbox.failed_count(rt.db) == 1
    for name, value in (("MONGO_URI", servers.mongo_uri), ("MONGO_DB", rt.settings.mongo_db)):
        monkeypatch.setenv(name, value)
    from crm_common import dlq
    dlq.main(["outbox", "plumbing"])
    assert bad["id"] in capsys.readouterr().out


def test_processed_event_ids_expire_and_the_event_log_does_not(rt):
    indexes = {tuple(v["key"]): v for v in rt.db.processed_events.index_information().values()}
    assert indexes[(("processed_at", 1),)]["expireAfterSeconds"] == mongo.PROCESSED_EVENTS_DAYS * 86400 == 14 * 86400
    assert not any("expireAfterSeconds" in v for v in rt.db.outbox.index_information().values())


def wait_for(done, timeout=60.0, what="it"):
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout}s"
        time.sleep(0.2)


def test_a_worker_replaces_a_broken_producer_and_rebuilds_a_broken_consumer(rt, user_created):
    seen = []
    worker = Worker(rt, "healer", {"crm.user.created": lambda e, s: seen.append(e["subject"])}, "relay")
    rt.scheduler = Scheduler(rt.db, rt.clock, [
        Job("relay", 0.05, Relay(rt.db, rt.clock, lambda: rt.producer).run_once, on_tick=False)])
    threads = worker.start()
    try:
        rt.transaction(lambda s: rt.publish(s, user_created("u1")))
        wait_for(lambda: "u1" in seen, what="the first event")
        rt.producer.close(timeout=1)            # a producer that is no use any more
        worker.loop.consumer.close(autocommit=False)  # a consumer that left its group
        rt.transaction(lambda s: rt.publish(s, user_created("u2")))
        wait_for(lambda: "u2" in seen, what="healing")
        restarts = {c: rt.metrics.registry.get_sample_value("worker_restarts_total", {"component": c})
                    for c in ("producer", "consumer")}
        assert restarts["producer"] >= 1 and restarts["consumer"] >= 1
        assert worker.health.stale() == []
    finally:
        worker.stop.set()
        for thread in threads:
            thread.join(timeout=20)
    assert not worker.fatal.is_set()


def test_a_broker_that_comes_back_empty_gets_the_event_log_again(settings_for, tmp_path, user_created):
    """Stop the broker, start it empty: the worker re-creates the topics and publishes its log again,
    and a new consumer group rebuilds the same read model from the first event."""
    port = localinfra.free_port()
    broker = localinfra.spawn(localinfra.kafka_command(port), port, tmp_path / "kafka.log")
    rt = Runtime(settings_for("plumbing", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}",
                              KAFKA_TOPIC_PARTITIONS="2"))
    rt.scheduler = Scheduler(rt.db, rt.clock, [Job("relay", 0.05, Relay(rt.db, rt.clock, lambda: rt.producer).run_once,
                                                   on_tick=False)])
    worker = Worker(rt, "log-keeper", {}, "relay")
    threads = worker.start()

    def read_model(group):
        names = {}
        loop = ConsumerLoop(rt, group, {"crm.user.created": lambda e, s: names.__setitem__(
            e["subject"], e["data"]["username"])})
        loop.subscribe()
        deadline = time.monotonic() + 60
        while len(names) < 5 and time.monotonic() < deadline:
            loop.poll_once(timeout_ms=300)
        loop.close()
        return names
    try:
        for n in range(5):
            rt.transaction(lambda s, n=n: rt.publish(s, user_created(f"u{n}", f"name{n}")))
        wait_for(lambda: outbox.backlog(rt.db) == 0, what="publishing")
        before = read_model("model-before")
        broker.kill()
        broker.wait(timeout=10)
        broker = localinfra.spawn(localinfra.kafka_command(port), port, tmp_path / "kafka2.log")
        def republished():
            try:
                return len(events.read_topic(f"127.0.0.1:{port}", "crm.org", expect=5, timeout=1)) == 5
            except ValueError:
                return False  # the topic is not there yet
        wait_for(republished, timeout=90, what="the log published again")
        admin = kafka.admin(rt.settings)
        try:
            [described] = [t for t in admin.describe_topics(["crm.org"])]
            assert len(described["partitions"]) == 2  # made by the worker, not auto-created
            assert {"crm.org.dlq", "crm.epoch.plumbing"} <= set(admin.list_topics())
        finally:
            admin.close()
        after = read_model("model-after")
        assert after == before == {f"u{n}": f"name{n}" for n in range(5)}
    finally:
        worker.stop.set()
        for thread in threads:
            thread.join(timeout=20)
        broker.terminate()
        broker.wait(timeout=10)
        rt.close()


def test_a_worker_starting_after_the_broker_came_back_empty_publishes_its_log_again(settings_for, tmp_path,
                                                                                     user_created):
    """The worker that would have noticed was killed right after the broker restarted (the chaos
    run): its replacement finds the marker gone at startup and sends the whole log again."""
    port = localinfra.free_port()
    broker = localinfra.spawn(localinfra.kafka_command(port), port, tmp_path / "kafka.log")
    rt = Runtime(settings_for("plumbing", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}"))
    relay = Relay(rt.db, rt.clock, lambda: rt.producer)
    try:
        worker_module.ensure_topics(rt)  # a fresh system: nothing to send again
        for n in range(5):
            rt.transaction(lambda s, n=n: rt.publish(s, user_created(f"u{n}", f"name{n}")))
        relay.run_once()
        assert outbox.backlog(rt.db) == 0
        broker.kill()
        broker.wait(timeout=10)
        broker = localinfra.spawn(localinfra.kafka_command(port), port, tmp_path / "kafka2.log")
        rt.reset_producer()
        worker_module.ensure_topics(rt)
        assert outbox.backlog(rt.db) == 5
        relay.run_once()
        worker_module.ensure_topics(rt)  # the marker is back: no second copy
        assert outbox.backlog(rt.db) == 0
        assert len(events.read_topic(f"127.0.0.1:{port}", "crm.org", expect=5, timeout=10)) == 5
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        rt.close()


def test_livez_answers_503_while_the_consumer_or_relay_stops_coming_round(rt):
    import requests
    worker = Worker(rt, "probed", {}, "relay")
    port = localinfra.free_port()
    worker.serve_health(port)
    worker.health.beat("relay")
    worker.health.beat("scheduler")
    assert requests.get(f"http://127.0.0.1:{port}/livez", timeout=5).status_code == 200
    worker.health.beats["scheduler"] -= 3600  # jobs run on threads of their own: a tick this late is a hang
    assert requests.get(f"http://127.0.0.1:{port}/livez", timeout=5).json() == {"stale": ["scheduler"]}
    worker.health.beat("scheduler")
    job = Job("reminders-due", 30, lambda: None, lease_seconds=300)
    rt.scheduler = Scheduler(rt.db, rt.clock, [job])
    rt.scheduler.running[job.name] = time.monotonic() - job.lease_seconds - 1  # a run past its lease is hung
    assert requests.get(f"http://127.0.0.1:{port}/livez", timeout=5).json() == {"stale": [f"job:{job.name}"]}
    rt.scheduler.running.clear()
    worker.health.beats["relay"] -= 3600
    stuck = requests.get(f"http://127.0.0.1:{port}/livez", timeout=5)
    assert stuck.status_code == 503 and stuck.json() == {"stale": ["relay"]}
    assert "outbox_backlog" in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def test_a_worker_whose_consumer_keeps_failing_exits_for_its_orchestrator(rt, monkeypatch):
    rt.settings = dataclasses.replace(rt.settings, worker_max_failures=2)
    worker = Worker(rt, "doomed", {"crm.user.created": lambda e, s: None}, "relay")
    broken = []

    def fail(*_, **__):
        broken.append(1)
        raise RuntimeError("this consumer cannot be rebuilt")
    monkeypatch.setattr(worker.loop, "poll_once", fail)
    monkeypatch.setattr(worker.loop, "restart", fail)
    thread = threading.Thread(target=worker.consume_forever)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and worker.fatal.is_set() and worker.stop.is_set()
    assert len(broken) >= 3


def test_a_local_server_stops_only_after_its_clients_have_gone(tmp_path):
    import signal
    import socket
    port = localinfra.free_port()
    wrapper = subprocess.Popen([sys.executable, "-m", "crm_common.dev.localinfra", "kafka", "--port", str(port)],
                               stdout=open(tmp_path / "kafka.log", "wb"), stderr=subprocess.STDOUT)
    try:
        localinfra.wait_for_port(port)
        client = socket.create_connection(("127.0.0.1", port))
        wrapper.send_signal(signal.SIGTERM)          # honcho signals every process at once
        time.sleep(1.0)
        assert wrapper.poll() is None, "the server stopped while a service was still connected"
        socket.create_connection(("127.0.0.1", port)).close()
        client.close()                               # the service has stopped
        wrapper.wait(timeout=10)                     # and now the server goes too
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()

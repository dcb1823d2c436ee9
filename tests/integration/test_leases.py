"""A job's lease holds while it runs, whatever the replicas' host clocks say, and a run that lost it
writes nothing more.

Two schedulers stand for two replicas; their host clocks are 30 s apart."""
import threading
import time
from datetime import timedelta

import pytest

from crm_common import scheduler as scheduling
from crm_common.clock import Clock
from crm_common.outbox import Relay
from crm_common.scheduler import Job, LeaseLost, Scheduler


def host_clock(offset_seconds: float) -> Clock:
    clock = Clock()
    clock.set_offset(timedelta(seconds=offset_seconds))
    return clock


@pytest.fixture
def db(runtime_for):
    return runtime_for("pool").db


class Runs:
    """Who ran the job when, kept in MongoDB as a job would keep its work."""

    def __init__(self, db):
        self.db = db

    def job(self, replica: str, *, batches: int, seconds: float, stall_after_first: float = 0.0):
        def run():
            started = time.monotonic()
            for n in range(batches):
                scheduling.check()  # between batches: renews the lease, or stops the run
                self.db.runs.insert_one({"replica": replica, "batch": n, "at": time.monotonic()})
                time.sleep(stall_after_first if n == 0 and stall_after_first else seconds)
            self.db.intervals.insert_one({"replica": replica, "start": started, "end": time.monotonic()})
        return run

    def intervals(self) -> list[tuple[float, float, str]]:
        return sorted((i["start"], i["end"], i["replica"]) for i in self.db.intervals.find())


def test_a_job_longer_than_its_lease_runs_alone_to_its_end_on_replicas_30_s_apart(db):
    runs = Runs(db)

    def replica(name: str, offset: float) -> Scheduler:
        # A 6 s job on a 2 s lease: it holds only because it renews it between its batches.
        return Scheduler(db, host_clock(offset), [Job("reclaim-due", 3600, runs.job(name, batches=12, seconds=0.5),
                                                      lease_seconds=2)])
    replicas = [replica("behind", 0), replica("ahead", 30)]
    stop = threading.Event()

    def tick(scheduler):
        while not stop.is_set():
            scheduler.start_due()
            stop.wait(0.1)
    tickers = [threading.Thread(target=tick, args=(r,)) for r in replicas]
    for t in tickers:
        t.start()
    time.sleep(7.5)
    stop.set()
    for t in tickers + [t for r in replicas for t in r.threads.values()]:
        t.join(10)
    [(start, end, who)] = runs.intervals()  # one run, however often the other replica asked
    assert end - start >= 6.0
    assert db.runs.count_documents({"replica": who}) == 12 and db.runs.count_documents({}) == 12


def test_a_run_that_lost_its_lease_stops_before_its_next_write(db, caplog):
    runs = Runs(db)
    # The first run stalls 1.6 s on its first batch (a slow query, a long pause), past its 1 s lease.
    first = Scheduler(db, host_clock(30), [Job("reclaim-due", 3600, runs.job(
        "first", batches=3, seconds=0.1, stall_after_first=1.6), lease_seconds=1)])
    second = Scheduler(db, host_clock(0), [Job("reclaim-due", 3600, runs.job("second", batches=2, seconds=0.1),
                                               lease_seconds=1)])
    [running] = first.start_due()
    time.sleep(1.1)
    second.run_now("reclaim-due", wait_seconds=1)  # the lease ran out: the second replica takes the job
    running.join(5)
    assert [(r["replica"], r["batch"]) for r in db.runs.find().sort("at", 1)] == [
        ("first", 0), ("second", 0), ("second", 1)]  # the first wrote nothing after it lost the lease
    assert [who for _, _, who in runs.intervals()] == ["second"]  # the first did not run to its end
    assert "its lease was lost" in caplog.text
    lease = db.job_leases.find_one({"_id": "reclaim-due"})
    assert lease["next_run_at"] == lease["last_run_at"] + timedelta(hours=1)  # the second's release stands


def test_a_relay_that_lost_its_lease_sends_nothing_more(rt, user_created):
    sent = []

    class Producer:
        def send(self, topic, **message):
            sent.append(message["key"])
            return rt.producer.send(topic, **message)

        def flush(self, timeout=None):
            rt.producer.flush(timeout=timeout)
    relay = Relay(rt.db, rt.clock, lambda: Producer())
    job = Job("outbox-relay", 0.05, relay.run_once, lease_seconds=1, on_tick=False)
    here, there = Scheduler(rt.db, host_clock(0), [job]), Scheduler(rt.db, host_clock(-30), [job])
    assert here.hold("outbox-relay") and not on_another_thread(lambda: there.hold("outbox-relay"))
    rt.transaction(lambda session: rt.publish(session, user_created("u1")))
    assert relay.run_once() == 1
    time.sleep(1.1)  # this replica stalled past its lease, and the other one took the relay
    assert on_another_thread(lambda: there.hold("outbox-relay"))
    rt.transaction(lambda session: rt.publish(session, user_created("u2")))
    with pytest.raises(LeaseLost):
        relay.run_once()
    assert sent == [b"u1"] and not here.hold("outbox-relay")


def on_another_thread(work):
    """What `work` returns, run on a thread of its own, as another replica's relay loop would."""
    result = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join(5)
    return result[0]

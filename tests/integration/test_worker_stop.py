"""A worker told to stop (SIGTERM) ends a long scheduled job before its next write and lets the
job's and the relay's leases go, so another replica takes both at once rather than after the lease.
(tests/chaos/test_sigterm.py stops real worker processes mid-load.)"""
import threading
import time

from crm_common import scheduler as scheduling
from crm_common import worker
from crm_common.clock import Clock
from crm_common.outbox import Relay
from crm_common.scheduler import Job, Scheduler
from crm_common.service import RELAY_JOB


def replica(rt, long_job) -> Scheduler:
    relay = Relay(rt.db, Clock(), lambda: rt.producer)
    return Scheduler(rt.db, Clock(), [Job(RELAY_JOB, 0.05, relay.run_once, lease_seconds=10, on_tick=False),
                                      Job("reminders-due", 3600, long_job, lease_seconds=300)])


def test_a_stopped_worker_ends_its_job_before_the_next_write_and_hands_both_leases_over_at_once(rt):
    running = threading.Event()

    def long_job():  # a thousand batches of 50 ms: far longer than any drain
        running.set()
        for n in range(1000):
            scheduling.check()
            rt.db.batches.insert_one({"n": n})
            time.sleep(0.05)

    rt.scheduler = replica(rt, long_job)
    stopping = worker.Worker(rt, "plumbing", {}, RELAY_JOB)
    stopping.start()
    assert running.wait(10)
    deadline = time.monotonic() + 10
    while RELAY_JOB not in rt.scheduler.held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert RELAY_JOB in rt.scheduler.held

    stopping.stop.set()
    began = time.monotonic()
    assert stopping.drain()
    assert time.monotonic() - began < 2
    written = rt.db.batches.count_documents({})
    time.sleep(0.3)
    assert rt.db.batches.count_documents({}) == written < 1000  # stopped midway, and wrote nothing after

    other = replica(rt, lambda: "taken over")
    assert other.hold(RELAY_JOB)
    assert other.run_now("reminders-due", wait_seconds=0.5) == "taken over"

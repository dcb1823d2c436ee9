"""Scheduled jobs run in one replica at a time, when due by the database's clock, and survive a crashed holder."""
import threading
import time
from datetime import timedelta

import pytest

from crm_common.clock import Clock
from crm_common.mongo import server_time
from crm_common.scheduler import Job, JobBusy, Scheduler


def skewed(seconds: float) -> Clock:
    """A host clock `seconds` off the true time."""
    clock = Clock()
    clock.set_offset(timedelta(seconds=seconds))
    return clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db(runtime_for):
    return runtime_for("pool").db


@pytest.fixture
def runs():
    return []


@pytest.fixture
def replica(db, clock, runs):
    """A scheduler of one replica with the reclaim job, every hour; `during` runs inside the job."""
    def make(name: str, during=lambda: None, *, every: float = 3600, host_clock=None) -> Scheduler:
        def reclaim_due():
            runs.append(name)
            during()
            return f"done by {name}"
        return Scheduler(db, host_clock or clock, [Job("reclaim-due", every, reclaim_due, lease_seconds=60)])
    return make


def test_a_job_runs_in_only_one_replica_while_its_lease_is_held(replica, runs):
    second = replica("second")

    def while_first_holds_the_lease():
        second.run_due()
        with pytest.raises(JobBusy):
            second.run_now("reclaim-due", wait_seconds=0.2)
    replica("first", during=while_first_holds_the_lease).run_due()
    assert runs == ["first"]


def test_a_job_that_is_not_due_does_not_run(replica, runs):
    one, two = replica("one", every=1), replica("two", every=1)
    one.run_due()
    one.run_due()
    two.run_due()
    assert runs == ["one"]
    time.sleep(1.1)
    two.run_due()
    assert runs == ["one", "two"]


def test_a_replica_whose_clock_runs_ahead_waits_for_the_databases_turn(replica, runs):
    replica("on time").run_due()
    replica("an hour ahead", host_clock=skewed(3601)).run_due()
    assert runs == ["on time"]


def test_run_now_runs_a_job_at_once_even_when_it_is_not_due(replica, runs):
    one = replica("one")
    one.run_due()
    assert one.run_now("reclaim-due") == "done by one"
    assert runs == ["one", "one"]


def test_the_lease_of_a_crashed_holder_is_taken_once_it_expires(replica, runs, db):
    db.job_leases.insert_one({"_id": "reclaim-due", "owner": "crashed-host:1:abc", "run": "r1",
                              "expires_at": server_time(db) + timedelta(seconds=1), "next_run_at": server_time(db)})
    survivor = replica("survivor", host_clock=skewed(3600))  # a host clock far ahead changes nothing
    survivor.run_due()
    assert runs == []  # the holder may still be running
    time.sleep(1.1)
    survivor.run_due()
    assert runs == ["survivor"]
    lease = db.job_leases.find_one({"_id": "reclaim-due"})
    assert lease["owner"] != "crashed-host:1:abc" and lease["next_run_at"] == lease["last_run_at"] + timedelta(hours=1)


def test_a_failing_job_frees_its_lease_and_waits_for_its_next_turn(db, clock):
    def broken():
        raise RuntimeError("the database said no")
    scheduler = Scheduler(db, clock, [Job("reclaim-due", 3600, broken)])
    scheduler.run_due()  # logged, not raised: other jobs still run
    lease = db.job_leases.find_one({"_id": "reclaim-due"})
    assert lease["expires_at"] == lease["last_run_at"] <= server_time(db)
    assert lease["next_run_at"] == lease["last_run_at"] + timedelta(hours=1)


def test_a_slow_job_holds_only_itself_and_shows_as_overdue_past_its_lease(db, clock):
    """The worker's tick starts each due job on a thread of its own."""
    release, quick_ran = threading.Event(), threading.Event()
    scheduler = Scheduler(db, clock, [Job("deliveries", 1, lambda: release.wait(10), lease_seconds=0.3),
                                      Job("reminders-due", 30, quick_ran.set)])
    started = {t.name: t for t in scheduler.start_due()}
    assert set(started) == {"job:deliveries", "job:reminders-due"}
    assert quick_ran.wait(5)  # while the slow one still runs
    assert scheduler.start_due() == []  # not started twice here, nor is the quick one due again yet
    time.sleep(0.4)
    assert scheduler.overdue() == ["deliveries"]  # what /livez reports as job:deliveries
    release.set()
    started["job:deliveries"].join(5)
    assert scheduler.overdue() == [] and scheduler.running == {}

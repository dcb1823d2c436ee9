"""Scheduled jobs run in one replica at a time, when due, and survive a crashed holder."""
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.clock import FixedClock
from crm_common.scheduler import Job, JobBusy, Scheduler

START = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def db(runtime_for):
    return runtime_for("pool").db


@pytest.fixture
def runs():
    return []


@pytest.fixture
def replica(db, clock, runs):
    """A scheduler of one replica with the reclaim job, every hour; `during` runs inside the job."""
    def make(name: str, during=lambda: None) -> Scheduler:
        def reclaim_due():
            runs.append(name)
            during()
            return f"done by {name}"
        return Scheduler(db, clock, [Job("reclaim-due", 3600, reclaim_due, lease_seconds=60)])
    return make


def test_a_job_runs_in_only_one_replica_while_its_lease_is_held(replica, runs):
    second = replica("second")

    def while_first_holds_the_lease():
        second.run_due()
        with pytest.raises(JobBusy):
            second.run_now("reclaim-due", wait_seconds=0.2)
    replica("first", during=while_first_holds_the_lease).run_due()
    assert runs == ["first"]


def test_a_job_that_is_not_due_does_not_run(replica, runs, clock):
    one, two = replica("one"), replica("two")
    one.run_due()
    clock.advance(minutes=59)
    one.run_due()
    two.run_due()
    assert runs == ["one"]
    clock.advance(minutes=1)
    two.run_due()
    assert runs == ["one", "two"]


def test_run_now_runs_a_job_at_once_even_when_it_is_not_due(replica, runs):
    one = replica("one")
    one.run_due()
    assert one.run_now("reclaim-due") == "done by one"
    assert runs == ["one", "one"]


def test_the_lease_of_a_crashed_holder_is_taken_once_it_expires(replica, runs, db, clock):
    db.job_leases.insert_one({"_id": "reclaim-due", "owner": "crashed-host:1:abc",
                              "expires_at": clock.now() + timedelta(seconds=30), "next_run_at": clock.now()})
    survivor = replica("survivor")
    survivor.run_due()
    assert runs == []  # the holder may still be running
    clock.advance(seconds=31)
    survivor.run_due()
    assert runs == ["survivor"]
    lease = db.job_leases.find_one({"_id": "reclaim-due"})
    assert lease["owner"] != "crashed-host:1:abc" and lease["next_run_at"] == clock.now() + timedelta(hours=1)


def test_a_failing_job_frees_its_lease_and_waits_for_its_next_turn(db, clock):
    def broken():
        raise RuntimeError("the database said no")
    scheduler = Scheduler(db, clock, [Job("reclaim-due", 3600, broken)])
    scheduler.run_due()  # logged, not raised: other jobs still run
    lease = db.job_leases.find_one({"_id": "reclaim-due"})
    assert lease["expires_at"] == clock.now() and lease["next_run_at"] == clock.now() + timedelta(hours=1)


def test_a_slow_job_holds_only_itself_and_shows_as_overdue_past_its_lease(db, clock):
    """The worker's tick starts each due job on a thread of its own (issue 21, point 5)."""
    import threading
    import time
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

"""Moved time is shared by every process of a service, and production cannot move it."""
from datetime import timedelta

from crm_common.clock import Clock, utcnow


def test_an_offset_set_in_one_clock_is_seen_by_another_on_the_same_collection(runtime_for):
    collection = runtime_for("pool").db.dev_clock
    http_process, worker_process = Clock(collection), Clock(collection)
    assert worker_process.offset() == timedelta(0)
    http_process.set_offset(timedelta(days=90))
    assert worker_process.offset() == timedelta(days=90)
    before = utcnow()
    assert before + timedelta(days=90) <= worker_process.now() <= utcnow() + timedelta(days=90)


def test_two_runtimes_of_one_service_share_the_moved_time(runtime_for):
    web, worker = runtime_for("pool"), runtime_for("pool")
    web.clock.set_offset(timedelta(days=3))
    assert worker.clock.offset() == timedelta(days=3)
    web.clock.set_offset(timedelta(0))
    assert worker.clock.offset() == timedelta(0)


def test_another_service_keeps_its_own_time(runtime_for):
    runtime_for("pool").clock.set_offset(timedelta(days=3))
    assert runtime_for("notify").clock.offset() == timedelta(0)


def test_production_ignores_a_stored_offset(runtime_for):
    runtime_for("pool").clock.set_offset(timedelta(days=30))
    prod = runtime_for("pool", CRM_ENV="prod", JWT_SECRET="a-production-secret-of-enough-length")
    before = utcnow()
    assert prod.clock.offset() == timedelta(0) and before <= prod.clock.now() <= utcnow()

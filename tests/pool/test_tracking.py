"""The pool keeps each owned customer's reclaim clock current from customer events."""
from datetime import datetime, timedelta, timezone

import pytest

from pool.reclaim import job
from pool.tracking import handlers
from pool.app import create_app

CREATED = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
CUSTOMER = {"customer_id": "C1", "owner_id": "rep-1", "department_path": ["d1"], "level": "B",
            "created_at": CREATED.isoformat()}


@pytest.fixture
def app(app_for):
    return app_for(create_app, "pool")


@pytest.fixture
def entry(rt):
    rt.transaction(lambda s: handlers.created(rt, s, CUSTOMER))
    return lambda: rt.db.pool_entries.find_one({"_id": "C1"})


def due(entry) -> datetime:
    return entry()["reclaim_due_at"].replace(tzinfo=timezone.utc)


def test_a_follow_up_moves_the_due_time_and_an_older_one_does_not_move_it_back(rt, entry):
    assert due(entry) == CREATED + timedelta(days=7)
    later = CREATED + timedelta(days=5)
    rt.transaction(lambda s: handlers.followed_up(rt, s, {"customer_id": "C1", "followed_up_at": later.isoformat()}))
    assert due(entry) == later + timedelta(days=7)
    older = CREATED + timedelta(days=2)  # redelivered late, out of order
    rt.transaction(lambda s: handlers.followed_up(rt, s, {"customer_id": "C1", "followed_up_at": older.isoformat()}))
    assert due(entry) == later + timedelta(days=7)


def test_a_new_owner_gets_a_full_period(rt, entry):
    changed = CREATED + timedelta(days=6)
    move = {"customer_id": "C1", "kind": "transfer", "owner_id": "rep-2", "to_owner_id": "rep-2",
            "department_path": ["d2"], "collaborator_ids": ["rep-1"], "changed_at": changed.isoformat()}
    rt.transaction(lambda s: handlers.owner_changed(rt, s, move))
    assert (entry()["owner_id"], entry()["department_path"]) == ("rep-2", ["d2"])
    assert due(entry) == changed + timedelta(days=7)


def test_a_deleted_customer_is_never_reclaimed(rt, entry):
    rt.transaction(lambda s: handlers.deleted(rt, s, {"customer_id": "C1", "deleted_at": CREATED.isoformat()}))
    rt.clock.set_offset(timedelta(days=3650))
    assert job.reclaim_due(rt)["reclaimed"] == 0 and entry()["status"] == "deleted"


def test_a_follow_up_applied_late_counts_but_does_not_bring_back_the_level_of_its_time(rt):
    rt.transaction(lambda s: handlers.created(rt, s, {**CUSTOMER, "version": 1}))
    rt.transaction(lambda s: handlers.refreshed(rt, s, {**CUSTOMER, "level": "A", "version": 3}))
    # v2, a follow-up dead-lettered and redriven after v3: its time counts, its snapshot (level B) is old
    at = CREATED + timedelta(days=4)
    rt.transaction(lambda s: handlers.followed_up(rt, s, {**CUSTOMER, "version": 2,
                                                          "followed_up_at": at.isoformat()}))
    entry = rt.db.pool_entries.find_one({"_id": "C1"})
    assert entry["level"] == "A"
    assert entry["last_followup_at"].replace(tzinfo=timezone.utc) == at

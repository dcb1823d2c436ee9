"""A process starting while MongoDB restarts waits for it instead of dying (the chaos run found a
restarted worker killed by the database restart that followed, and nobody started it again)."""
import pytest
from pymongo.errors import AutoReconnect, OperationFailure

from crm_common import mongo


def flaky(failures: int, error=AutoReconnect("connection reset by peer")):
    calls = []

    def step():
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return "started"
    return step, calls


def test_a_start_up_step_is_tried_again_while_the_database_is_unreachable(monkeypatch):
    monkeypatch.setattr(mongo.time, "sleep", lambda _s: None)
    step, calls = flaky(3)
    assert mongo.through_restarts(step, "creating indexes") == "started" and len(calls) == 4


def test_it_gives_up_after_its_time_and_never_retries_other_errors(monkeypatch):
    monkeypatch.setattr(mongo.time, "sleep", lambda _s: None)
    step, calls = flaky(10**6)
    with pytest.raises(AutoReconnect):
        mongo.through_restarts(step, "creating indexes", wait_seconds=0)
    step, calls = flaky(1, OperationFailure("bad index spec"))
    with pytest.raises(OperationFailure):
        mongo.through_restarts(step, "creating indexes")
    assert len(calls) == 1

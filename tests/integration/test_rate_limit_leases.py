"""Rate limits under load: a busy process leases slots instead of writing the counter per request,
and the limit still holds, exactly in one process and never exceeded across several."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from pymongo import MongoClient, monitoring

from crm_common import ratelimit
from crm_common.errors import Problem

MID_MINUTE = datetime(2026, 11, 24, 9, 30, 20, tzinfo=timezone.utc)


class Counted(monitoring.CommandListener):
    def __init__(self):
        self.names = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def counted_rt(servers):
    listener = Counted()
    client = MongoClient(servers.mongo_uri, event_listeners=[listener])
    yield SimpleNamespace(db=client.crm_ratelimit_test, clock=SimpleNamespace(now=lambda: MID_MINUTE)), listener
    client.drop_database("crm_ratelimit_test")
    client.close()


def accepted(rt, subject, limit, requests) -> int:
    n = 0
    for _ in range(requests):
        try:
            ratelimit.check(rt, subject, limit)
            n += 1
        except Problem as problem:
            assert problem.status == 429
    return n


def test_a_burst_writes_the_counter_once_per_lease_not_once_per_request(counted_rt, monkeypatch):
    rt, listener = counted_rt
    monkeypatch.setattr(ratelimit, "_LEASES", ratelimit._Leases())
    assert accepted(rt, "channel:busy", 100_000, 300) == 300
    writes = listener.names.count("findAndModify")
    assert writes <= 20, f"{writes} counter writes for 300 requests"
    assert rt.db.rate_windows.find_one()["count"] <= 300 + ratelimit.MAX_LEASE


def test_one_process_lets_exactly_the_limit_through(counted_rt, monkeypatch):
    rt, _ = counted_rt
    monkeypatch.setattr(ratelimit, "_LEASES", ratelimit._Leases())
    assert accepted(rt, "channel:exact", 100, 150) == 100


def test_processes_sharing_a_limit_never_exceed_it_and_lose_at_most_their_leases(counted_rt, monkeypatch):
    rt, _ = counted_rt
    processes = [ratelimit._Leases() for _ in range(3)]
    total = 0
    for turn in range(300):  # the three take turns, each at a busy pace
        monkeypatch.setattr(ratelimit, "_LEASES", processes[turn % 3])
        total += accepted(rt, "channel:shared", 200, 1)
    assert 200 - 3 * int(200 * ratelimit.LEASE_SHARE) <= total <= 200


def test_a_small_limit_is_counted_request_by_request(counted_rt, monkeypatch):
    rt, listener = counted_rt
    monkeypatch.setattr(ratelimit, "_LEASES", ratelimit._Leases())
    assert accepted(rt, "login:user:ann", 10, 15) == 10
    assert listener.names.count("findAndModify") == 15

"""Runtimes on the real test servers, and helpers that drive a consumer loop to a goal."""
import time

import pytest

from crm_common import kafka
from crm_common.runtime import Runtime


@pytest.fixture
def runtime_for(settings_for):
    """Runtime(settings) of a service, as one process of it would build; closed after the test."""
    made = []

    def make(service: str = "plumbing", **environ) -> Runtime:
        made.append(Runtime(settings_for(service, **environ)))
        return made[-1]
    yield make
    for rt in made:
        rt.close()


@pytest.fixture
def rt(runtime_for):
    """A runtime whose topics exist (the fixture layer deleted them)."""
    runtime = runtime_for()
    kafka.ensure_topics(runtime.settings)
    return runtime


@pytest.fixture
def user_created(rt):
    """A valid crm.user.created event (topic crm.org, key = the user id)."""
    def make(user_id: str, username: str = "ann") -> dict:
        return rt.event("crm.user.created", user_id, {
            "user_id": user_id, "username": username, "role": "rep", "department_path": ["d1"], "active": True})
    return make


@pytest.fixture
def drive():
    """Poll a consumer loop until `done()`; returns how many messages it polled on the way."""
    def run(loop, done, timeout: float = 30.0) -> int:
        polled, deadline = 0, time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the consumer loop did not get there in time"
            polled += loop.poll_once(timeout_ms=200)
        return polled
    return run

"""Runtimes on the real test servers, and helpers that drive a consumer loop to a goal."""
import time
import uuid

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


@pytest.fixture
def group():
    """A consumer group of this test's own: the broker keeps a group's offsets even after its topics are deleted."""
    return f"welcomer-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def loop_for(rt):
    """`loop_for(group, handlers, runtime=rt, **options)`: a subscribed consumer loop with quick retries,
    closed after the test."""
    from crm_common.consumer import ConsumerLoop
    made = []

    def start(group: str, handlers: dict, runtime=None, **options) -> ConsumerLoop:
        options = {"backoff_seconds": 0.01, "max_backoff_seconds": 0.2, **options}
        made.append(ConsumerLoop(runtime or rt, group, handlers, **options))
        made[-1].subscribe()
        return made[-1]
    yield start
    for loop in made:
        try:
            loop.consumer.close(autocommit=False)
        except Exception:  # noqa: BLE001 - a test may have closed it already
            pass


@pytest.fixture
def put(rt):
    """`put(event, version=None, key=subject)`: publish an event on its topic (one key: one partition, in
    order); the send's record."""
    from crm_common.events import encode, topic_for

    def send(event: dict, version: int | None = None, key: str | None = None):
        if version is not None:
            event = {**event, "version": version}
        return rt.producer.send(topic_for(event["type"]), key=(key or event["subject"]).encode(),
                                value=encode(event)).get(timeout=10)
    return send

"""The reporting service on the test servers, fed the known history of history.py."""
from datetime import datetime, timezone

import pytest

from crm_common import consumer
from reporting import service
from reporting.app import create_app

from .history import NOW, build, delivery


@pytest.fixture
def app(app_for):
    return app_for(create_app, "reporting")


@pytest.fixture(params=["guarded", "unguarded"])
def feed(request, rt):
    """Deliver events to the live handlers as the consumer loop does (contract, version guard, one
    transaction); or, unguarded, straight to the handlers: they must give the same answers without
    the guard, because during a rebuild two consumer groups write into the new read models."""
    handlers = service.live_handlers(rt)

    def deliver(events):
        for event in events:
            if request.param == "guarded":
                consumer.deliver(rt, "reporting", handlers, event)
            else:
                rt.transaction(lambda session: handlers[event["type"]](event, session))
    deliver.guarded = request.param == "guarded"
    return deliver


@pytest.fixture
def history(rt, feed, at_now):
    """The known history of history.py, delivered as `feed` delivers (late and repeated when guarded)."""
    events = build(rt)
    feed(delivery(events, in_version_order=feed.guarded))
    return events


@pytest.fixture
def at_now(rt):
    rt.clock.set_offset(NOW - datetime.now(timezone.utc))
    return NOW


@pytest.fixture
def get(client, token_for):
    """GET a report as a user: get(path, user_id="u-admin", role="admin", dept=(), **params) -> JSON."""
    def call(path, user_id="u-admin", role="admin", dept=(), **params):
        response = client.get(path, headers=token_for(user_id, role, dept), query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()
    return call

"""The reporting service on the test servers, fed the known history of history.py."""
from datetime import datetime, timezone

import pytest

from reporting import service
from reporting.app import create_app

from .history import NOW


@pytest.fixture
def app(app_for):
    return app_for(create_app, "reporting")


@pytest.fixture
def feed(rt):
    """Deliver events to the live handlers, each in its own transaction, as the consumer loop does."""
    handlers = service.live_handlers(rt)

    def deliver(events):
        for event in events:
            rt.transaction(lambda session: handlers[event["type"]](event, session))
    return deliver


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

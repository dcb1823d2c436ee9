"""The fixture layer: real MongoDB and Kafka servers, started once per test session.

Containers when a Docker engine is reachable, the embedded servers otherwise;
each test that asks for `servers` starts from clean collections and topics.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from crm_common.settings import Settings
from crm_common.testing import servers as test_servers
from crm_common.testing import state
from crm_common.testing.auth import signed_in

# Tests drive many writes through one token, often on a stopped clock (one rate window); the
# per-user write limit has its own test (tests/customer/test_limits.py), which lowers it again.
os.environ.setdefault("USER_WRITES_PER_MINUTE", "1000000")


# `make test` runs two pytest workers (pytest-xdist, --dist loadgroup): each starts its own servers. A file's
# tests stay on one worker (its module fixtures start once), and the folders whose package fixture starts a
# whole system stay together, so that system starts once.
WHOLE_SYSTEM = {"security", "e2e", "chaos"}
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(item.path).relative_to(TESTS).parts
        item.add_marker(pytest.mark.xdist_group(parts[0] if parts[0] in WHOLE_SYSTEM else "/".join(parts)))


@pytest.fixture(scope="session")
def session_servers(tmp_path_factory):
    with test_servers.start(tmp_path_factory.mktemp("servers")) as running:
        yield running


@pytest.fixture
def servers(session_servers):
    state.clean_databases(session_servers.mongo_uri)
    state.delete_topics(session_servers.kafka_bootstrap)
    return session_servers


@pytest.fixture
def settings_for(servers):
    """Settings of a service pointed at the test servers, as the environment would give them."""
    def make(service: str, **environ) -> Settings:
        env = {"CRM_ENV": "test", "MONGO_URI": servers.mongo_uri, "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
               "KAFKA_TOPIC_PARTITIONS": "3", "KAFKA_REPLICATION_FACTOR": "1",
               "CRM_ADMIN_PASSWORD": "admin-test-password", **environ}
        return Settings.from_env(service, env)
    return make


def quick_password_hash(password: str) -> str:
    """werkzeug's scrypt at 1/32 of its cost: the product's hash takes a tenth of a second on purpose,
    and a test that sets up an organisation hashes half a dozen passwords. Stored hashes name their
    cost, so logins check these as the product checks its own."""
    return generate_password_hash(password, method="scrypt:1024:8:1")


@pytest.fixture
def app_for(settings_for, monkeypatch):
    """`app_for(create_app, "pool", **environ)`: a service's app on the test servers, closed after the test.
    Passwords set through it are hashed by `quick_password_hash`."""
    monkeypatch.setattr("customer.org.users.generate_password_hash", quick_password_hash)
    apps = []

    def make(create_app, service: str, **environ):
        apps.append(create_app(settings_for(service, **environ)))
        return apps[-1]
    yield make
    for app in apps:
        app.extensions["crm"].close()


# A test folder defines `app`; these follow from it.
@pytest.fixture
def rt(app):
    return app.extensions["crm"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token_for(rt):
    """`token_for(user_id, role, department_path)`: a signed token of a user made up for the test,
    whom the service has learnt of as from crm.org (crm_common.testing.auth.known)."""
    return lambda user_id, role="rep", department_path=(): signed_in(rt, user_id, role, department_path)

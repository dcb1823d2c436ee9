import pytest
import requests

from crm_common.testing import state
from crm_common.testing import system as running_system

ADMIN_PASSWORD = "e2e-admin-password"


# Package scope: the running services stop before other test folders reuse the databases.
@pytest.fixture(scope="package")
def system(session_servers, tmp_path_factory):
    state.clean_databases(session_servers.mongo_uri)  # whatever ran before, the system starts empty
    state.delete_topics(session_servers.kafka_bootstrap)
    started = running_system.start(session_servers, tmp_path_factory.mktemp("system"), admin_password=ADMIN_PASSWORD)
    yield started
    running_system.stop(started)


@pytest.fixture(scope="package")
def admin_headers(system):
    response = requests.post(system.url("customer", "/v1/auth/token"),
                             json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10)
    assert response.status_code == 200, response.text
    return running_system.known_everywhere(system, {"Authorization": f"Bearer {response.json()['access_token']}"})


@pytest.fixture
def new_channel(system, admin_headers):
    """`new_channel(name)` -> the X-API-Key header of a new lead channel."""
    def make(name="web"):
        response = requests.post(system.url("lead-intake", "/v1/channels"), json={"name": name},
                                 headers=admin_headers, timeout=10)
        assert response.status_code == 201, response.text
        return {"X-API-Key": response.json()["api_key"]}
    return make

import pytest

from crm_common.testing.auth import bearer
from lead_intake.app import create_app


@pytest.fixture
def app(settings_for):
    return create_app(settings_for("lead-intake"))


@pytest.fixture
def rt(app):
    return app.extensions["crm"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(rt):
    return bearer(rt.settings)


@pytest.fixture
def as_user(rt):
    return lambda user_id, role="rep", department_path=(): bearer(rt.settings, user_id, role, department_path)


@pytest.fixture
def new_channel(client, admin):
    def make(name="web", **fields):
        response = client.post("/v1/channels", json={"name": name, **fields}, headers=admin)
        assert response.status_code == 201, response.json
        return {"X-API-Key": response.json["api_key"]}, response.json["id"]
    return make


@pytest.fixture
def channel(new_channel):
    return new_channel()[0]

import pytest

from crm_common.testing.auth import signed_in
from lead_intake.app import create_app


@pytest.fixture
def app(app_for):
    return app_for(create_app, "lead-intake")


@pytest.fixture
def admin(rt):
    return signed_in(rt)


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

"""The customer service against the real test servers: an app, an organisation, logged-in users."""
import itertools

import pytest

from crm_common.testing.auth import bearer
from customer.app import create_app

ADMIN_PASSWORD = "admin-test-password"  # tests/conftest.py sets it for every service
_numbers = itertools.count(13800138000)


def new_phone() -> str:
    return str(next(_numbers))


@pytest.fixture
def app(app_for):
    return app_for(create_app, "customer")


def login(client, username, password):
    response = client.post("/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture
def admin(client):
    return login(client, "admin", ADMIN_PASSWORD)


class Org:
    """A small organisation: sales -> (east, west); a manager of east, reps in each."""

    def __init__(self, client, admin):
        self.client, self.admin, self.users, self.headers = client, admin, {}, {}
        self.sales = self.department("Sales")
        self.east = self.department("East", self.sales["id"])
        self.west = self.department("West", self.sales["id"])
        self.user("boss", "manager", self.sales["id"])
        self.user("east_manager", "manager", self.east["id"], supervisor="boss")
        self.user("alice", "rep", self.east["id"], supervisor="east_manager")
        self.user("bob", "rep", self.east["id"], supervisor="east_manager")
        self.user("carol", "rep", self.west["id"], supervisor="boss")

    def department(self, name, parent_id=None):
        response = self.client.post("/v1/departments", json={"name": name, "parent_id": parent_id}, headers=self.admin)
        assert response.status_code == 201, response.json
        return response.json

    def user(self, username, role, department_id, supervisor=None, **extra):
        body = {"username": username, "password": f"{username}-secret", "role": role, "department_id": department_id,
                "supervisor_id": self.users[supervisor]["id"] if supervisor else None, **extra}
        response = self.client.post("/v1/users", json=body, headers=self.admin)
        assert response.status_code == 201, response.json
        user = self.users[username] = response.json
        # The token login would issue (tested on its own); skips one scrypt check per user.
        self.headers[username] = bearer(self.client.application.extensions["crm"].settings, user["id"], role,
                                        user["department_path"])
        return user

    def id(self, username):
        return self.users[username]["id"]

    def customer(self, as_user="alice", **fields):
        phone = new_phone()  # and a contact name of its own: the same company and name would be a duplicate
        body = {"name": "Acme", "contacts": [{"name": f"Zhang Wei {phone[-4:]}", "phones": [phone]}], **fields}
        response = self.client.post("/v1/customers", json=body, headers=self.headers[as_user])
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def org(client, admin):
    return Org(client, admin)

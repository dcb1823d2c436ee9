"""The pool and the customer service side by side on the real test servers.

Events travel between them through each service's outbox and the consumer's own
`deliver` (contract check, version guard, handler, one transaction), so a test
decides when the pool hears what: it can hold the pool's consumer back.
"""
import itertools
from datetime import timedelta

import pytest

from crm_common import tokens
from crm_common.testing.auth import bearer, signed_in
from crm_common.testing.snapshots import customer_snapshot
from crm_common.testing.events import Link
from customer.app import create_app as create_customer_app
from customer.service import handlers as customer_handlers
from pool.app import create_app as create_pool_app
from pool.service import handlers as pool_handlers

_phones = itertools.count(13700137000)


@pytest.fixture
def app(app_for):
    return app_for(create_pool_app, "pool")


@pytest.fixture
def customer_app(app_for):
    return app_for(create_customer_app, "customer")


class World:
    """A customer service with an organisation, a pool service, and the links between them."""

    def __init__(self, pool_app, customer_app):
        self.pool_rt, self.customer_rt = pool_app.extensions["crm"], customer_app.extensions["crm"]
        self.pool_client, self.customer_client = pool_app.test_client(), customer_app.test_client()
        self.to_pool = Link(self.customer_rt, self.pool_rt, "pool", pool_handlers(self.pool_rt))
        self.to_customer = Link(self.pool_rt, self.customer_rt, "customer", customer_handlers(self.customer_rt))
        self.admin = self.headers_of("admin-id", "admin")
        self.users, self.headers = {}, {}
        token = customer_app.test_client().post("/v1/auth/token", json={
            "username": "admin", "password": "admin-test-password"}).json["access_token"]
        self.customer_admin = {"Authorization": f"Bearer {token}"}
        self.sales = self._post("/v1/departments", {"name": "Sales", "parent_id": None})
        self.finance = self._post("/v1/departments", {"name": "Finance", "parent_id": self.sales["id"]})

    def _post(self, path, body):
        response = self.customer_client.post(path, json=body, headers=self.customer_admin)
        assert response.status_code == 201, response.json
        return response.json

    def headers_of(self, user_id, role="rep", path=()):
        return signed_in(self.pool_rt, user_id, role, list(path))

    def user(self, username, role="rep", department=None):
        user = self._post("/v1/users", {"username": username, "password": f"{username}-secret-pw", "role": role,
                                        "department_id": (department or self.sales)["id"]})
        self.users[username] = user
        self.headers[username] = self.headers_of(user["id"], role, user["department_path"])
        return user

    def id(self, username):
        return self.users[username]["id"]

    def customer(self, owner="alice", **fields):
        phone = str(next(_phones))  # and a contact name of its own: the same company and name would be a duplicate
        body = {"name": "Acme", "contacts": [{"name": f"Zhang Wei {phone[-4:]}", "phones": [phone]}], **fields}
        response = self.customer_client.post("/v1/customers", json=body, headers=self.headers[owner])
        assert response.status_code == 201, response.json
        return response.json

    def follow_up(self, customer_id, as_user="alice"):
        at = (self.customer_rt.clock.now() + timedelta(days=3)).isoformat()
        response = self.customer_client.post(f"/v1/customers/{customer_id}/followups", headers=self.headers[as_user],
                                             json={"channel": "phone", "content": "called", "goal_met": True,
                                                   "next_plan": "call again", "next_contact_at": at})
        assert response.status_code == 201, response.json

    def at_day(self, days: float):
        for rt in (self.pool_rt, self.customer_rt):
            rt.clock.set_offset(timedelta(days=days))

    def settle(self, rounds: int = 3):
        """Let events flow both ways until both services are quiet."""
        for _ in range(rounds):
            if not (self.to_pool.flow() + self.to_customer.flow()):
                return

    def entry(self, customer_id):
        return self.pool_rt.db.pool_entries.find_one({"_id": customer_id})

    def stored_customer(self, customer_id):
        return self.customer_rt.db.customers.find_one({"_id": customer_id})


@pytest.fixture
def world(app, customer_app):
    world = World(app, customer_app)
    world.user("alice")
    world.user("bob")
    world.user("carol")
    world.user("boss", "manager")
    world.settle()
    return world


# The pool on its own: users and customers fed straight to its handlers.
def add_user(rt, user_id, role="rep", department_path=("sales",), active=True, holding_limit=None):
    from pool.tracking import handlers
    data = {"user_id": user_id, "username": user_id, "role": role, "department_path": list(department_path),
            "active": active, "holding_limit": holding_limit}
    # both handlers of crm.user.created: the pool's own and the token versions every service keeps
    rt.transaction(lambda s: (handlers.user_changed(rt, s, data), tokens.user_changed(rt, s, {"data": data})))
    return bearer(rt.settings, user_id, role, list(department_path))


def add_customer(rt, customer_id, owner="old-rep", *, days_ago=0.0, level="B", lifecycle="potential",
                 department_path=("sales",)):
    from pool.tracking import handlers
    created = rt.clock.now() - timedelta(days=days_ago)
    snapshot = customer_snapshot(customer_id, owner_id=owner, department_path=list(department_path), level=level,
                                 lifecycle=lifecycle)
    rt.transaction(lambda s: handlers.created(rt, s, {**snapshot, "created_at": created.isoformat()}))


def in_pool(rt, *customer_ids, owner="old-rep"):
    """Customers neglected for 8 days, reclaimed into the default pool now."""
    from pool.reclaim import job
    for customer_id in customer_ids:
        add_customer(rt, customer_id, owner, days_ago=8)
    job.reclaim_due(rt)

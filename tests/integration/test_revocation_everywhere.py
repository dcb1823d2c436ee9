"""Issue 21, point 7: revocation reaches every user. A service refuses a token of a user it has
not learnt of from crm.org yet, so a user deactivated a moment after being created (before any
crm.user.* event arrived) is never let in; the customer service, which owns the users, knows
each one from the start. Events travel as each service's worker would take them (Link, with the
worker's handlers, token versions included)."""
import pytest

from crm_common.service import worker_handlers
from crm_common.testing.events import Link
from customer.app import create_app as customer_app
from lead_intake import service as lead_intake_service
from lead_intake.app import create_app as lead_intake_app
from notify import service as notify_service
from notify.app import create_app as notify_app
from pool import service as pool_service
from pool.app import create_app as pool_app
from reporting import service as reporting_service
from reporting.app import create_app as reporting_app

# One read each service answers to any signed-in user.
OTHERS = {"lead-intake": (lead_intake_app, lead_intake_service.SPEC, "/v1/leads"),
          "pool": (pool_app, pool_service.SPEC, "/v1/pool-entries"),
          "notify": (notify_app, notify_service.SPEC, "/v1/inbox"),
          "reporting": (reporting_app, reporting_service.SPEC, "/v1/workbench")}


def login(client, username, password):
    token = client.post("/v1/auth/token", json={"username": username, "password": password})
    assert token.status_code == 200, token.json
    return {"Authorization": f"Bearer {token.json['access_token']}"}


@pytest.fixture
def system(app_for):
    """The customer service and the four others, with crm.org carried to each on `system.carry()`."""
    class System:
        def __init__(self):
            customer = app_for(customer_app, "customer")
            self.web = customer.test_client()
            self.admin = login(self.web, "admin", "admin-test-password")
            self.apps = {name: app_for(create, name) for name, (create, _, _) in OTHERS.items()}
            self.links = [Link(customer.extensions["crm"], app.extensions["crm"], name,
                               worker_handlers(OTHERS[name][1], app.extensions["crm"]))
                          for name, app in self.apps.items()]

        def carry(self):
            for link in self.links:
                link.flow("crm.user.created", "crm.user.updated")

        def answers(self, headers):
            """service -> (status, detail) of its read with these headers."""
            found = {"customer": self.web.get("/v1/customers", headers=headers)}
            found.update({name: app.test_client().get(OTHERS[name][2], headers=headers)
                          for name, app in self.apps.items()})
            return {name: (r.status_code, (r.get_json() or {}).get("detail")) for name, r in found.items()}

        def new_rep(self, username):
            user = self.web.post("/v1/users", headers=self.admin, json={
                "username": username, "password": f"{username}-secret-pw", "role": "rep"})
            assert user.status_code == 201, user.json
            return user.json["id"], login(self.web, username, f"{username}-secret-pw")
    return System()


def test_a_user_created_then_deactivated_at_once_is_refused_on_every_service(system):
    user_id, headers = system.new_rep("leaver")
    before = system.answers(headers)
    # crm.org has not brought the user yet: only the customer service may know better than the signature
    assert before.pop("customer")[0] == 200
    assert all(status == 401 and "not learnt of the user" in detail for status, detail in before.values()), before
    deactivated = system.web.post(f"/v1/users/{user_id}/deactivate", headers=system.admin)
    assert deactivated.status_code == 200, deactivated.json
    assert system.answers(headers)["customer"][0] == 401  # the owner of users refuses at once

    system.carry()  # crm.user.created, then crm.user.updated (inactive), reach every service
    after = system.answers(headers)
    assert all(status == 401 and "deactivated" in detail for status, detail in after.values()), after


def test_a_new_user_is_let_in_everywhere_once_crm_org_brings_them_and_shut_out_on_deactivation(system):
    user_id, headers = system.new_rep("newcomer")
    system.carry()
    assert {name: status for name, (status, _) in system.answers(headers).items()} == {
        name: 200 for name in ("customer", *OTHERS)}
    assert system.web.post(f"/v1/users/{user_id}/deactivate", headers=system.admin).status_code == 200
    system.carry()
    assert {name: status for name, (status, _) in system.answers(headers).items()} == {
        name: 401 for name in ("customer", *OTHERS)}

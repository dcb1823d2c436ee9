"""Reminders across the running system, every service's clock moved together (issue 10, point 9):
a customer created in the customer service reaches notify through Kafka; its cadence falls due, then
the overdue reminder climbs to the rep's supervisor and on to the department manager."""
from datetime import timedelta

import pytest
import requests

from crm_common.testing.system import eventually

SERVICES = ("lead-intake", "customer", "pool", "notify", "reporting")


def call(system, method, service, path, headers, **kwargs):
    return requests.request(method, system.url(service, path), headers=headers, timeout=20, **kwargs)


def login(system, username, password):
    token = call(system, "POST", "customer", "/v1/auth/token", {}, json={"username": username, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture
def clocks(system, admin_headers):
    def move(delta: timedelta):
        for service in SERVICES:
            moved = call(system, "POST", service, "/v1/dev/clock", admin_headers,
                         json={"offset_days": delta / timedelta(days=1)})
            assert moved.status_code == 200, (service, moved.text)
        ran = call(system, "POST", "notify", "/v1/dev/jobs/reminders-due/run", admin_headers)
        assert ran.status_code == 200, ran.text
    yield move
    for service in SERVICES:
        call(system, "POST", service, "/v1/dev/clock", admin_headers, json={"offset_days": 0})


def kinds(system, headers):
    return [(i["kind"], i["customer_id"]) for i in call(system, "GET", "notify", "/v1/inbox", headers).json()["items"]]


def test_cadence_then_escalation_to_the_supervisor_and_the_manager(system, admin_headers, clocks):
    settings = call(system, "PUT", "notify", "/v1/settings/reminders", admin_headers,
                    json={"escalation_second_step_days": 1})  # before the pool's own reclaim rules act
    assert settings.status_code == 200, settings.text
    department = call(system, "POST", "customer", "/v1/departments", admin_headers,
                      json={"name": "Key accounts", "parent_id": None}).json()
    people = {}
    for name, role, boss in (("meg", "manager", None), ("sam", "rep", "meg"), ("ria", "rep", "sam")):
        made = call(system, "POST", "customer", "/v1/users", admin_headers, json={
            "username": name, "password": f"{name}-secret-pw", "role": role, "department_id": department["id"],
            "supervisor_id": people.get(boss)})
        assert made.status_code == 201, made.text
        people[name] = made.json()["id"]
    heads = {name: login(system, name, f"{name}-secret-pw") for name in people}
    customer = call(system, "POST", "customer", "/v1/customers", heads["ria"], json={"name": "Tianjin Steel",
                                                                                      "level": "A"})
    assert customer.status_code == 201, customer.text
    cid = customer.json()["id"]
    assert eventually(lambda: ("customer_assigned", cid) in kinds(system, heads["ria"]), timeout=15)
    try:
        clocks(timedelta(days=3, hours=1))
        assert ("cadence", cid) in kinds(system, heads["ria"])
        assert ("overdue", cid) not in kinds(system, heads["sam"])
        clocks(timedelta(days=4, hours=2))
        assert ("overdue", cid) in kinds(system, heads["sam"]) and kinds(system, heads["meg"]) == []
        clocks(timedelta(days=5, hours=3))
        assert kinds(system, heads["meg"]) == [("overdue", cid)]
    finally:
        call(system, "PUT", "notify", "/v1/settings/reminders", admin_headers, json={"escalation_second_step_days": 3})

"""The services keep each other current: the organisation drives lead assignment, customer
changes drive the pool's clock and lead-intake's duplicate checks."""
import itertools
from datetime import datetime, timedelta, timezone

import pytest
import requests

from crm_common.testing.system import eventually, known_everywhere

_numbers = itertools.count(13900139000)
HOT = {"product_interest": "CRM", "budget": 500000, "company": "Hot Prospect"}


def call(system, method, service, path, headers, **kwargs):
    return requests.request(method, system.url(service, path), headers=headers, timeout=20, **kwargs)


@pytest.fixture(scope="module")
def rep(system, admin_headers):
    """A rep created through the customer service, in a team lead-intake assigns to by default."""
    department = call(system, "POST", "customer", "/v1/departments", admin_headers,
                      json={"name": "Inside sales", "parent_id": None}).json()
    user = call(system, "POST", "customer", "/v1/users", admin_headers, json={
        "username": "rita", "password": "rita-secret-pw", "role": "rep", "department_id": department["id"]})
    assert user.status_code == 201, user.text
    team = call(system, "POST", "customer", "/v1/teams", admin_headers, json={
        "name": "Inbound", "department_id": department["id"], "members": [{"user_id": user.json()["id"], "weight": 1}]})
    assert team.status_code == 201, team.text
    rules = call(system, "PUT", "lead-intake", "/v1/rules/assignment", {**admin_headers, "If-Match": "*"},
                 json={"rules": [], "default_team_id": team.json()["id"]})
    assert rules.status_code == 200, rules.text
    token = call(system, "POST", "customer", "/v1/auth/token", {}, json={"username": "rita", "password": "rita-secret-pw"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return {"id": user.json()["id"], "headers": known_everywhere(system, headers)}


@pytest.fixture
def clocks(system, admin_headers):
    """Move the customer and pool clocks together; back to real time afterwards."""
    def move(days):
        for service in ("customer", "pool"):
            moved = call(system, "POST", service, "/v1/dev/clock", admin_headers, json={"offset_days": days})
            assert moved.status_code == 200, moved.text
    yield move
    move(0)


def hot_lead(system, key):
    n = next(_numbers)
    response = call(system, "POST", "lead-intake", "/v1/leads", key,
                    json={**HOT, "name": f"Buyer {n}", "phone": str(n), "email": f"buyer{n}@example.cn"})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_rep_created_in_the_customer_service_gets_hot_leads_and_is_told(system, rep, new_channel):
    key = new_channel("ads")
    # lead-intake learns of the rep and the team from crm.org events a moment later
    lead = eventually(lambda: (lambda lead: lead if lead["owner_id"] else None)(hot_lead(system, key)), timeout=10)
    assert lead and lead["owner_id"] == rep["id"] and lead["bucket"] == "hot"
    inbox = eventually(lambda: [i for i in call(system, "GET", "notify", "/v1/inbox", rep["headers"]).json()["items"]
                                if i["kind"] == "lead_assigned" and i["lead_id"] == lead["id"]])
    assert len(inbox) == 1

    converted = call(system, "POST", "lead-intake", f"/v1/leads/{lead['id']}/convert", rep["headers"])
    assert converted.status_code == 200, converted.text
    mine = eventually(lambda: call(system, "GET", "customer", "/v1/customers", rep["headers"],
                                   params={"view": "mine", "source_lead_id": lead["id"]}).json()["items"])
    assert [c["owner_id"] for c in mine] == [rep["id"]]


def test_a_follow_up_restarts_the_reclaim_clock(system, admin_headers, rep, clocks):
    phone = str(next(_numbers))
    created = call(system, "POST", "customer", "/v1/customers", rep["headers"],
                   json={"name": "Followed Co", "contacts": [{"name": "Qian", "phones": [phone]}]})
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    entry = eventually(lambda: call(system, "GET", "pool", "/v1/pool-entries", admin_headers,
                                    params={"customer_id": customer_id}).json()["items"])
    assert entry[0]["status"] == "owned"

    clocks(5)
    next_contact = (datetime.now(timezone.utc) + timedelta(days=8)).isoformat()
    followup = call(system, "POST", "customer", f"/v1/customers/{customer_id}/followups", rep["headers"], json={
        "channel": "phone", "content": "walked through pricing", "goal_met": True,
        "next_plan": "send the quote", "next_contact_at": next_contact})
    assert followup.status_code == 201, followup.text

    def due_day():
        items = call(system, "GET", "pool", "/v1/pool-entries", admin_headers,
                     params={"customer_id": customer_id}).json()["items"]
        return items[0]["reclaim_due_at"] if items[0]["reclaim_due_at"] > entry[0]["reclaim_due_at"] else None
    assert eventually(due_day), "the pool did not hear of the follow-up"

    clocks(8)  # 8 days after creation, 3 after the follow-up: still the rep's
    call(system, "POST", "pool", "/v1/dev/jobs/reclaim-due/run", admin_headers)
    status = call(system, "GET", "pool", "/v1/pool-entries", admin_headers, params={"customer_id": customer_id})
    assert status.json()["items"][0]["status"] == "owned"

    clocks(13)  # 8 days after the follow-up
    call(system, "POST", "pool", "/v1/dev/jobs/reclaim-due/run", admin_headers)
    status = call(system, "GET", "pool", "/v1/pool-entries", admin_headers, params={"customer_id": customer_id})
    assert status.json()["items"][0]["status"] == "in_pool"


def test_a_customers_contact_blocks_new_leads_until_the_customer_is_deleted(system, rep, new_channel):
    key, phone = new_channel("partner"), str(next(_numbers))
    created = call(system, "POST", "customer", "/v1/customers", rep["headers"],
                   json={"name": "Held Co", "contacts": [{"name": "Sun Li", "phones": [phone]}]}).json()

    def check():
        return call(system, "POST", "lead-intake", "/v1/leads:check", rep["headers"], json={"phone": phone}).json()
    held = eventually(lambda: (lambda d: d if d["verdict"] == "duplicate" else None)(check()), timeout=10)
    assert held and (held["duplicate_of"], held["duplicate_of_kind"], held["owner_id"]) == (
        created["id"], "customer", rep["id"])
    submitted = call(system, "POST", "lead-intake", "/v1/leads", key, json={"name": "Sun Li", "phone": f"+86 {phone}"})
    assert submitted.status_code == 200 and submitted.json()["dedup"] == {"verdict": "duplicate"}

    deleted = call(system, "DELETE", "customer", f"/v1/customers/{created['id']}", rep["headers"])
    assert deleted.status_code == 204, deleted.text
    assert eventually(lambda: check()["verdict"] == "new", timeout=10), "lead-intake still holds the deleted contact"
    fresh = call(system, "POST", "lead-intake", "/v1/leads", key, json={"name": "Sun Li", "phone": phone})
    assert fresh.status_code == 201 and fresh.json()["dedup"]["verdict"] == "new"

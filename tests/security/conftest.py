"""The whole system running, with a small organisation and one object behind every kind of path id.

Two sibling departments, East and West, each with a manager and reps; East's rep Ann owns a
customer (with a contact, a contract, a payment and a follow-up), a lead, a review and an
inbox item. The sweep calls Ann's objects as others; the fuzzer calls everything as the admin.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
import requests

from crm_common.testing import state
from crm_common.testing import system as running_system
from crm_common.testing.system import eventually

ADMIN_PASSWORD = "security-admin-password"
PASSWORD = "security-user-password"
_numbers = itertools.count(13700137000)


@dataclass
class World:
    system: running_system.System
    headers: dict                                # who -> Authorization header
    ids: dict                                    # path parameter name -> an id of East's rep Ann
    victims: dict = field(default_factory=dict)  # path parameter name -> an id the fuzzer may change or delete
    channel_key: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)        # name -> the user as created
    other_pool_id: str = ""                          # an open pool beside East's

    def call(self, method, service, path, who="admin", **kwargs):
        headers = {**self.headers.get(who, {}), **kwargs.pop("headers", {})}
        return requests.request(method, self.system.url(service, path), headers=headers, timeout=30, **kwargs)


def _ok(response, *statuses):
    assert response.status_code in (statuses or (200, 201)), f"{response.request.method} {response.url}: {response.text}"
    return response.json() if response.content else None


def _login(system, username, password):
    response = requests.post(system.url("customer", "/v1/auth/token"),
                             json={"username": username, "password": password}, timeout=10)
    return running_system.known_everywhere(system, {"Authorization": f"Bearer {_ok(response, 200)['access_token']}"})


@pytest.fixture(scope="package")
def system(session_servers, tmp_path_factory):
    state.clean_databases(session_servers.mongo_uri)
    state.delete_topics(session_servers.kafka_bootstrap)
    started = running_system.start(session_servers, tmp_path_factory.mktemp("system"), admin_password=ADMIN_PASSWORD)
    yield started
    running_system.stop(started)


@pytest.fixture(scope="package")
def world(system) -> World:
    w = World(system, {"admin": _login(system, "admin", ADMIN_PASSWORD)}, {})
    east = _ok(w.call("POST", "customer", "/v1/departments", json={"name": "East", "parent_id": None}))
    west = _ok(w.call("POST", "customer", "/v1/departments", json={"name": "West", "parent_id": None}))
    spare = _ok(w.call("POST", "customer", "/v1/departments", json={"name": "Spare", "parent_id": None}))
    users = {}
    for name, role, dept in [("ann", "rep", east), ("bob", "rep", east), ("erin", "manager", east),
                             ("will", "manager", west), ("wes", "rep", west), ("vic", "rep", spare)]:
        users[name] = _ok(w.call("POST", "customer", "/v1/users", json={
            "username": name, "password": PASSWORD, "role": role, "department_id": dept["id"]}))
        if name != "vic":
            w.headers[name] = _login(system, name, PASSWORD)
    team = _ok(w.call("POST", "customer", "/v1/teams", json={
        "name": "East inbound", "department_id": east["id"], "members": [{"user_id": users["ann"]["id"], "weight": 1}]}))
    spare_team = _ok(w.call("POST", "customer", "/v1/teams", json={"name": "Spare team", "department_id": spare["id"]}))

    # a rule that runs on every follow-up, active before Ann's below, so there is a run to sweep
    rule = _ok(w.call("POST", "automation", "/v1/rules", json={
        "name": "Thank after a call", "trigger": {"type": "event", "event_type": "crm.customer.followed_up"},
        "actions": [{"type": "create_task", "title": "Send thanks", "assignee": {"role": "owner"}}]}))
    _ok(w.call("POST", "automation", f"/v1/rules/{rule['id']}:activate", json={"existing": "ignore"}))

    # Ann's customer, with everything a customer can have
    phone = str(next(_numbers))
    customer = _ok(w.call("POST", "customer", "/v1/customers", "ann", json={
        "name": "Ann's Account Co", "contacts": [{"name": "Qian", "phones": [phone]}],
        "invoice_info": {"title": "Ann's Account Co", "tax_id": "91330000SEC"}}))
    # money is seeded but not required: its routes are fuzzed and swept with or without a contract
    contract = w.call("POST", "customer", f"/v1/customers/{customer['id']}/contracts", "ann", json={
        "title": "Licence", "amount": "1000.00", "start_date": "2026-01-01", "end_date": "2026-12-31"})
    if contract.status_code == 201:
        w.call("POST", "customer", f"/v1/customers/{customer['id']}/payments", "ann", json={
            "amount": "100.00", "received_on": "2026-02-01", "contract_id": contract.json()["id"]})
    _ok(w.call("POST", "customer", f"/v1/customers/{customer['id']}/followups", "ann", json={
        "channel": "phone", "content": "called", "goal_met": True,
        "next_plan": "send a quote", "next_contact_at": "2030-01-02T03:00:00Z"}))
    opportunity = _ok(w.call("POST", "customer", f"/v1/customers/{customer['id']}/opportunities", "ann",
                             json={"name": "Renewal 2027"}))
    deal_contract = _ok(w.call("POST", "customer", f"/v1/opportunities/{opportunity['id']}/contracts", "ann", json={
        "amount": "500.00", "start_date": "2026-01-01", "end_date": "2030-12-31"}))  # approved at once
    invoice = _ok(w.call("POST", "customer", f"/v1/contracts/{deal_contract['id']}/invoices", "ann", json={
        "number": "SEC-0001", "type": "normal", "tax_rate": "0.13", "amount": "100.00"}))
    product = _ok(w.call("POST", "customer", "/v1/products", json={
        "name": "年费", "code": "SEC-YEARLY", "unit": "套", "list_price": "100.00"}))
    quote = _ok(w.call("POST", "customer", f"/v1/opportunities/{opportunity['id']}/quotes", "ann", json={
        "lines": [{"product_id": product["id"], "quantity": 1}], "valid_until": "2030-12-31"}))
    task = _ok(w.call("POST", "customer", "/v1/tasks", "ann", json={  # Ann's task on her customer
        "title": "Call back", "assignee_id": users["ann"]["id"], "due_at": "2030-01-01T09:00:00+00:00",
        "related": {"kind": "customer", "id": customer["id"]}}))
    victim_customer = _ok(w.call("POST", "customer", "/v1/customers", "ann", json={
        "name": "Disposable Trading", "contacts": [{"name": "Li", "phones": [str(next(_numbers))]}]}))
    pipeline = _ok(w.call("GET", "customer", "/v1/pipelines"))[0]

    # Ann's lead (assigned once lead-intake has heard of her), and a possible duplicate of it for review
    channel = _ok(w.call("POST", "lead-intake", "/v1/channels", json={"name": "web"}))
    victim_channel = _ok(w.call("POST", "lead-intake", "/v1/channels", json={"name": "fair"}))
    w.channel_key = {"X-API-Key": channel["api_key"]}
    lead_phone = str(next(_numbers))
    lead = _ok(w.call("POST", "lead-intake", "/v1/leads", headers=w.channel_key,
                      json={"name": "Zhou Min", "phone": lead_phone, "company": "Zhou Trading"}))
    assigned = eventually(lambda: w.call("POST", "lead-intake", f"/v1/leads/{lead['id']}/assign",
                                         json={"owner_id": users["ann"]["id"]}).status_code == 200, timeout=60)
    assert assigned, "lead-intake never learned of Ann"
    flagged = _ok(w.call("POST", "lead-intake", "/v1/leads", headers=w.channel_key,  # the same company, another person
                         json={"name": "Qian Hui", "phone": str(next(_numbers)), "company": "Zhou Trading Co., Ltd."}))
    _ok(w.call("POST", "lead-intake", f"/v1/leads/{flagged['id']}/assign", json={"owner_id": users["ann"]["id"]}))
    review = _ok(w.call("GET", "lead-intake", "/v1/reviews"))["items"][0]
    victim_lead = _ok(w.call("POST", "lead-intake", "/v1/leads", headers=w.channel_key,
                             json={"name": "Throwaway Lead", "phone": str(next(_numbers))}))

    # a pool open to East only, holding one of Ann's customers
    pool = _ok(w.call("POST", "pool", "/v1/pools", json={"name": "East pool", "member_department_ids": [east["id"]],
                                                         "source_department_ids": [east["id"]]}))
    other_pool = _ok(w.call("POST", "pool", "/v1/pools", json={"name": "Spare pool", "open_to_all": True}))
    pooled = _ok(w.call("POST", "customer", "/v1/customers", "ann", json={"name": "Pooled Goods Co"}))
    returned = eventually(lambda: w.call("POST", "pool", f"/v1/customers/{pooled['id']}/return", "ann",
                                         json={"reason": "no budget", "pool_id": pool["id"]}).status_code == 200,
                          timeout=60)
    assert returned, "the pool never learned of Ann's customer"

    # notify: Ann's inbox item (the lead assignment), a robot and its delivery
    inbox = eventually(lambda: w.call("GET", "notify", "/v1/inbox", "ann").json()["items"], timeout=60)
    assert inbox, "Ann was never told of her lead"
    _ok(w.call("PUT", "notify", "/v1/settings/outbound", headers={"If-Match": "*"},
               json={"allowed_private_hosts": ["127.0.0.1"]}))  # the robot below is loopback
    robot = _ok(w.call("POST", "notify", "/v1/robots", json={
        "name": "East bot", "kind": "webhook", "url": "http://127.0.0.1:9/hook", "department_ids": [east["id"]]}))
    deliveries = eventually(lambda: w.call("GET", "notify", "/v1/deliveries").json().get("items"), timeout=3)
    subscription = _ok(w.call("POST", "notify", "/v1/subscriptions", json={
        "url": "http://127.0.0.1:9/hook", "types": ["crm.customer.*"]}))
    template = _ok(w.call("POST", "notify", "/v1/templates", json={  # templates are shared: every user reads them
        "kind": "nurture", "language": "zh", "subject": "资讯", "body": "{{ contact.name }}，您好"}))
    sequence = _ok(w.call("POST", "notify", "/v1/sequences", json={  # the admin's: no manager of a department sees it
        "name": "East nurture", "steps": [{"channel": "email", "template_id": template["id"], "delay_hours": 24}]}))

    runs = eventually(lambda: w.call("GET", "automation", "/v1/runs").json().get("items"), timeout=60)
    assert runs, "the automation service never ran the rule on Ann's follow-up"

    # an import of Ann's run as a job (past 500 rows; no row has a name, so it imports nothing)
    job = _ok(w.call("POST", "customer", "/v1/customers:import", "ann", data=b"name,note\n" + b",no name\n" * 501,
                     headers={"Content-Type": "text/csv"}), 202)

    w.ids = {
        "customer_id": customer["id"], "contact_id": customer["contacts"][0]["contact_id"], "lead_id": lead["id"],
        "review_id": review["id"], "pool_id": pool["id"], "item_id": inbox[0]["id"], "robot_id": robot["id"],
        "delivery_id": deliveries[0]["id"] if deliveries else "no-delivery-yet",
        "department_id": east["id"], "user_id": users["ann"]["id"], "team_id": team["id"],
        "pipeline_id": pipeline["id"], "channel_id": channel["id"],
        "/v1/customers/{customer_id}/milestones/{name} name": "pinned",
        "/dashboard/static/{name} name": "dashboard.js",
        "/v1/rule-templates/{name}:instantiate name": "complaint_to_service", "job_id": job["id"],
        "opportunity_id": opportunity["id"], "rule_id": rule["id"], "run_id": runs[0]["id"],
        "subscription_id": subscription["id"],
        "template_id": template["id"], "sequence_id": sequence["id"],
        "product_id": product["id"], "quote_id": quote["id"],
        "contract_id": deal_contract["id"], "invoice_id": invoice["id"],
        "task_id": task["id"], "/v1/pipelines/{pipeline_id}/stages/{stage}/playbook stage": "initial_contact",
    }
    w.victims = {
        **w.ids, "customer_id": victim_customer["id"], "contact_id": victim_customer["contacts"][0]["contact_id"],
        "lead_id": victim_lead["id"], "department_id": spare["id"], "user_id": users["vic"]["id"],
        "team_id": spare_team["id"], "channel_id": victim_channel["id"], "pool_id": other_pool["id"],
    }
    w.other_pool_id = other_pool["id"]
    w.users = users
    return w


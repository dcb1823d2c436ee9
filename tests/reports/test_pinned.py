"""上首屏 end to end: a rep pins a customer in the customer service, and the workbench lists it
(the customer's events carry its milestones; issue 11, must-show 8)."""
from crm_common.testing.auth import bearer
from crm_common.testing.events import Link, expect_events
from customer.app import create_app as create_customer_app
from reporting import service


def test_a_customer_pinned_in_the_customer_service_is_on_the_reps_first_screen(app_for, rt, get):
    customers = app_for(create_customer_app, "customer")
    web, crm = customers.test_client(), customers.extensions["crm"]
    token = web.post("/v1/auth/token", json={"username": "admin", "password": "admin-test-password"})
    admin = {"Authorization": "Bearer " + token.json["access_token"]}
    sales = web.post("/v1/departments", json={"name": "Sales", "parent_id": None}, headers=admin).json
    alice = web.post("/v1/users", headers=admin, json={"username": "alice", "password": "alice-secret-1",
                                                       "role": "rep", "department_id": sales["id"]}).json
    mine = bearer(crm.settings, alice["id"], "rep", alice["department_path"])
    pinned, other = (web.post("/v1/customers", headers=mine, json={
        "name": name, "contacts": [{"name": "Zhang Wei", "phones": [phone]}]}).json for name, phone in (
        ("Acme", "13800138001"), ("Globex", "13800138002")))
    pinning = [("crm.customer.updated", {"subject": pinned["id"], "changed_fields": ["milestones"]})]
    with expect_events(crm, pinning):  # the pin travels in the customer's snapshot
        assert web.post(f"/v1/customers/{pinned['id']}/milestones", headers=mine,
                        json={"milestone": "pinned"}).status_code == 200
    relay = Link(crm, rt, "reporting", service.live_handlers(rt))  # what the broker would carry to reporting
    relay.flow()
    assert [e["customer_id"] for e in get("/v1/workbench", alice["id"], "rep")["pinned"]] == [pinned["id"]]
    with expect_events(crm, pinning):
        assert web.delete(f"/v1/customers/{pinned['id']}/milestones/pinned", headers=mine).status_code == 200
    relay.flow()
    assert get("/v1/workbench", alice["id"], "rep")["pinned"] == []
    assert other["id"] not in str(get("/v1/workbench", alice["id"], "rep"))

"""Stage playbooks (流程): entering a stage makes its tasks on the deal, leaving cancels the open ones, and
a required one still open keeps the deal out of the next stage (the 409 names it), on the deal's own
route and on the old customer route alike."""
import itertools

from crm_common.testing.events import data_of

PLAYBOOK = {"tasks": [
    {"title": "Book the demo", "due_in_hours": 48, "assignee_role": "owner", "required": True},
    {"title": "Brief the supervisor", "due_in_hours": 24, "assignee_role": "supervisor", "required": False},
    {"title": "Check the discount", "due_in_hours": 72, "assignee_role": "department_manager"},
]}
URL = "/v1/pipelines/default/stages/initial_contact/playbook"

_names = itertools.count(1)  # one company per customer: the same company and contact twice is a duplicate


def set_playbook(client, org, body=PLAYBOOK, url=URL):
    etag = client.get(url, headers=org.admin).headers["ETag"]
    return client.put(url, json=body, headers={**org.admin, **({"If-Match": etag} if etag != '"0"' else {})})


def deal_of(client, org):
    customer = org.customer("alice", name=f"Acme {next(_names)}", interest_expressed=True)
    made = client.post(f"/v1/customers/{customer['id']}/opportunities", json={"name": "First order"},
                       headers=org.headers["alice"])
    assert made.status_code == 201, made.json
    return customer, made.json


def stage(client, org, deal, key, **extra):
    return client.post(f"/v1/opportunities/{deal['id']}/stage", json={"stage": key, **extra},
                       headers=org.headers["alice"])


def tasks_of(client, org, deal, user="boss", **query):
    return client.get("/v1/tasks", query_string={"related_id": deal["id"], **query}, headers=org.headers[user]).json[
        "items"]


def test_only_admins_set_a_playbook_and_bad_ones_name_the_field(org, client):
    assert client.put(URL, json=PLAYBOOK, headers=org.headers["boss"]).status_code == 403
    bad = client.put(URL, json={"tasks": [{"title": "x", "due_in_hours": -1, "assignee_role": "owner"}]},
                     headers=org.admin)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "tasks.0.due_in_hours"
    role = client.put(URL, json={"tasks": [{"title": "x", "due_in_hours": 1, "assignee_role": "ceo"}]},
                      headers=org.admin)
    assert role.status_code == 400 and role.json["errors"][0]["field"] == "tasks.0.assignee_role"
    assert client.put("/v1/pipelines/default/stages/nowhere/playbook", json=PLAYBOOK,
                      headers=org.admin).status_code == 404
    saved = set_playbook(client, org)
    assert saved.status_code == 200, saved.json
    assert saved.headers["ETag"] == '"1"' and len(saved.json["tasks"]) == 3
    assert client.put(URL, json=PLAYBOOK, headers=org.admin).status_code == 428  # replacing needs If-Match
    assert client.get(URL, headers=org.headers["alice"]).json["tasks"][0]["title"] == "Book the demo"


def test_entering_a_stage_makes_its_tasks_for_the_roles(org, client, rt):
    set_playbook(client, org)
    customer, deal = deal_of(client, org)
    assert stage(client, org, deal, "initial_contact").status_code == 200
    made = {t["title"]: t for t in tasks_of(client, org, deal)}
    assert set(made) == {"Book the demo", "Brief the supervisor", "Check the discount"}
    assert made["Book the demo"]["assignee_id"] == org.id("alice")
    assert made["Brief the supervisor"]["assignee_id"] == org.id("east_manager")  # alice's supervisor
    assert made["Check the discount"]["assignee_id"] == org.id("east_manager")    # east's manager
    demo = made["Book the demo"]
    assert demo["source"] == {"kind": "playbook", "id": "default:initial_contact"}
    assert demo["related"] == {"kind": "opportunity", "id": deal["id"], "customer_id": customer["id"]}
    assert demo["playbook"]["required"] is True
    assert {e["title"] for e in data_of(rt, "crm.task.created")} == set(made)


def test_a_required_task_open_gates_the_next_stage_and_leaving_cancels_the_rest(org, client, rt):
    set_playbook(client, org)
    customer, deal = deal_of(client, org)
    stage(client, org, deal, "initial_contact")
    client.patch(f"/v1/opportunities/{deal['id']}", json={"interest_expressed": True, "needs": "CRM", "needs_matched": True},
                 headers={**org.headers["alice"], "If-Match": client.get(
                     f"/v1/opportunities/{deal['id']}", headers=org.headers["alice"]).headers["ETag"]})
    refused = stage(client, org, deal, "needs_confirmed")
    assert refused.status_code == 409
    assert [m["condition"] for m in refused.json["missing_conditions"]] == ["playbook:Book the demo"]
    # the old route on the customer acts on its primary deal: the same gate
    old = client.post(f"/v1/customers/{customer['id']}/stage", json={"stage": "needs_confirmed"},
                      headers=org.headers["alice"])
    assert old.status_code == 409 and [m["condition"] for m in old.json["missing_conditions"]] == [
        "playbook:Book the demo"]
    # with the stage's own conditions missing too, one answer names them all
    both = stage(client, org, deal, "negotiation")
    assert [m["condition"] for m in both.json["missing_conditions"]] == ["proposal_attached", "playbook:Book the demo"]
    assert client.get(f"/v1/opportunities/{deal['id']}", headers=org.headers["alice"]).json["stage"] == \
        "initial_contact"
    demo = next(t for t in tasks_of(client, org, deal) if t["title"] == "Book the demo")
    assert client.post(f"/v1/tasks/{demo['id']}/complete", json={"note": "booked"},
                       headers=org.headers["alice"]).status_code == 200
    moved = stage(client, org, deal, "needs_confirmed")
    assert moved.status_code == 200, moved.json
    left = {t["title"]: t["status"] for t in tasks_of(client, org, deal)}
    assert left == {"Book the demo": "done", "Brief the supervisor": "cancelled", "Check the discount": "cancelled"}
    assert {e["reason"] for e in data_of(rt, "crm.task.cancelled")} == {"stage_left"}


def test_a_deal_may_still_be_lost_or_go_back_with_required_work_open(org, client):
    set_playbook(client, org)
    _, deal = deal_of(client, org)
    stage(client, org, deal, "initial_contact")
    assert stage(client, org, deal, "lost", loss_reason="budget cut").status_code == 200
    assert {t["status"] for t in tasks_of(client, org, deal)} == {"cancelled"}

"""Reports per opportunity (issue 23, point 7): deals worked in the customer service, their events into
reporting, and each report row's drill-down listed by the customer service; a stored history and the
migration's first deals give the answers they gave before; a rebuild gives the same answers."""
from datetime import datetime
from types import SimpleNamespace

import pytest

from crm_common import consumer
from crm_common.testing.auth import bearer
from crm_common.testing.events import Link
from customer.app import create_app as create_customer_app
from reporting import service
from reporting.model import store
from reporting.model.days import DEFAULT_TIMEZONE

from .history import HAND, build, delivery
from .test_correctness import funnel_table
from .test_folding import apply_folded
from .test_rebuild import everything

READY = dict(interest_expressed=True, needs="CRM", needs_matched=True, proposal_url="q.pdf", terms_agreed=True)


@pytest.fixture
def sales(app_for, rt):
    """The customer service on the test servers: rep alice (department East) and one customer, Acme, with
    four deals: two won (100000 and 50000), one lost, one open in negotiation (80000, closing 2027-03-15).
    `sales.flow()` carries its events into reporting."""
    customers = app_for(create_customer_app, "customer")
    client, crm = customers.test_client(), customers.extensions["crm"]
    admin = bearer(crm.settings, crm.db.users.find_one({"username": "admin"})["_id"], "admin")
    east = client.post("/v1/departments", json={"name": "East"}, headers=admin).json
    alice = client.post("/v1/users", json={"username": "alice", "password": "alice-secret", "role": "rep",
                                           "department_id": east["id"]}, headers=admin).json
    me = bearer(crm.settings, alice["id"], "rep", alice["department_path"])
    acme = client.post("/v1/customers", headers=me, json={
        "name": "Acme", "invoice_info": {"title": "Acme Ltd", "tax_id": "91330000X"},
        "contacts": [{"name": "Zhang Wei", "phones": ["13900139001"]}]}).json["id"]

    def deal(name, amount, **body):
        made = client.post(f"/v1/customers/{acme}/opportunities", json={"name": name, "amount": amount, **body},
                           headers=me)
        assert made.status_code == 201, made.json
        return made.json["id"]

    def move(deal_id, stage, **body):
        moved = client.post(f"/v1/opportunities/{deal_id}/stage", json={"stage": stage, **body}, headers=me)
        assert moved.status_code == 200, moved.json

    def learn(deal_id):
        etag = client.get(f"/v1/opportunities/{deal_id}", headers=me).headers["ETag"]
        assert client.patch(f"/v1/opportunities/{deal_id}", json=READY,
                            headers={**me, "If-Match": etag}).status_code == 200

    for name, amount in (("First order", 100000), ("Renewal", 50000)):
        won = deal(name, amount)
        learn(won)
        assert client.post(f"/v1/opportunities/{won}/contracts", headers=me, json={
            "amount": amount, "start_date": "2026-01-01", "end_date": "2026-12-31"}).status_code == 201
        move(won, "contract_signed")
    move(deal("Second line", 5000), "lost", loss_reason="budget")
    upsell = deal("Upsell", 80000, expected_close_date="2027-03-15")
    learn(upsell)
    move(upsell, "negotiation")
    link = Link(crm, rt, "reporting", service.live_handlers(rt))

    def listed(query):
        """The names of the deals a drill-down query lists in the customer service."""
        answer = client.get(query, headers=admin)
        assert answer.status_code == 200, answer.json
        return sorted(d["name"] for d in answer.json["items"])
    link.flow()
    return SimpleNamespace(user_id=alice["id"], admin=admin, deals=client, flow=link.flow, listed=listed)


def test_each_deal_counts_and_each_row_lists_its_deals(sales, get):
    stages = {s["stage"]: s for s in get("/v1/reports/funnel")["stages"]}
    # one customer, four deals: each entered the first stage; two won, one lost, one in negotiation
    assert {s: (v["count"], v["entered"]) for s, v in stages.items() if v["entered"]} == {
        "lead_acquired": (0, 4), "negotiation": (1, 1), "contract_signed": (2, 2), "lost": (1, 1)}
    assert stages["negotiation"]["opportunities"] == "/v1/opportunities?stage=negotiation&status=open"
    assert sales.listed(stages["negotiation"]["opportunities"]) == ["Upsell"]
    assert sales.listed(stages["contract_signed"]["opportunities"]) == ["First order", "Renewal"]

    # negotiation's win chance: contract signed's 0.20 over its own 0.25 (not 0.25, as per customer)
    [month] = get("/v1/reports/forecast")["months"]
    assert (month["month"], month["count"], month["expected_amount"], month["weighted_amount"]) == (
        "2027-03", 1, "80000.00", "64000.00")
    assert sales.listed(month["opportunities"]) == ["Upsell"]

    [rep] = get("/v1/reports/reps")["items"]
    assert (rep["user_id"], rep["held"], rep["won"], rep["won_amount"], rep["lost"], rep["win_rate"]) == (
        sales.user_id, 1, 2, "150000.00", 1, 0.6667)  # a customer with two won deals counts two wins
    assert (rep["open_opportunities"], rep["pipeline_amount"]) == (1, "80000.00")
    assert sales.listed(rep["opportunities"]) == ["Upsell"]
    assert sales.listed(rep["won_opportunities"]) == ["First order", "Renewal"]
    today = datetime.now(DEFAULT_TIMEZONE).date().isoformat()  # the report days' time zone
    in_period = get("/v1/reports/reps", **{"from": today, "to": today})["items"][0]
    assert sales.listed(in_period["won_opportunities"]) == ["First order", "Renewal"]
    [january] = get("/v1/reports/reps", **{"from": "2026-01-01", "to": "2026-01-31"})["items"]
    assert (january["won"], january["lost"], january["win_rate"], january["open_opportunities"]) == (0, 0, None, 1)
    assert sales.listed(january["won_opportunities"]) == []

    cycle = get("/v1/reports/sales-cycle")["by_grade"]
    assert [(c["grade"], c["count"]) for c in cycle] == [(None, 2)]  # from each deal's creation to its win
    mine = get("/v1/reports/funnel", sales.user_id, "rep")["stages"]
    assert {s["stage"]: s["count"] for s in mine if s["count"]} == {"negotiation": 1, "contract_signed": 2, "lost": 1}


def test_an_admins_win_probability_on_the_pipeline_weighs_the_forecast(sales, get):
    admin = sales.admin
    pipeline = sales.deals.get("/v1/pipelines/default", headers=admin)
    stages = pipeline.json["stages"]
    next(s for s in stages if s["key"] == "negotiation")["win_probability"] = 0.5
    bad = [{**s, "win_probability": 1.5} for s in stages]
    refused = sales.deals.put("/v1/pipelines/default", json={"name": "Default", "stages": bad},
                              headers={**admin, "If-Match": pipeline.headers["ETag"]})
    assert refused.status_code == 400 and "stages" in refused.json["errors"][0]["field"]
    assert sales.deals.put("/v1/pipelines/default", json={"name": "Default", "stages": stages},
                           headers={**admin, "If-Match": pipeline.headers["ETag"]}).status_code == 200
    sales.flow()
    assert get("/v1/reports/forecast")["months"][0]["weighted_amount"] == "40000.00"


def test_the_migrations_first_deals_show_the_stored_history_and_a_rebuild_the_same(rt, at_now, get):
    handlers = service.live_handlers(rt)
    feed = lambda events: [consumer.deliver(rt, "reporting", handlers, e) for e in events]  # noqa: E731
    history = build(rt)
    feed(delivery(history, in_version_order=True))  # late, out of order, repeated copies
    before = everything(get)
    deal = lambda *args, **fields: first_deal(rt, history, *args, **fields)  # noqa: E731
    migrated = [deal("C1", "needs_confirmed", "open", amount="120000.00", grade="large",
                           expected_amount="120000.00", expected_sign_date="2026-08-01", source_lead_id="L1"),
                deal("C2", "lead_acquired", "open"), deal("C4", "lost", "lost"),
                deal("C3", "contract_signed", "won", amount="50000.10", grade="normal",
                           source_lead_id="L3"),
                deal("C6", "lead_acquired", "open")]
    feed(migrated)
    after = everything(get)
    assert funnel_table(after[("funnel", "u-admin")]) == HAND["funnel"]
    assert after == before  # every report, for an admin, a manager and a rep

    rebuilt = store.Models(rt.db, "v2_")
    rebuilt.ensure_indexes()
    apply_folded(rt, "reporting-rebuild", rebuilt, history + migrated, 50)
    rt.db[store.POINTER].replace_one({"_id": "live"}, {"_id": "live", "prefix": rebuilt.prefix}, upsert=True)
    assert everything(get) == before


def first_deal(rt, history, cid, stage, status, *, amount=None, grade=None, expected_amount=None, expected_sign_date=None,
               source_lead_id=None):
    """crm.opportunity.created as customer.migrations.make_opportunities publishes it for a stored customer."""
    snapshot = next(e["data"] for e in reversed(history) if e["subject"] == cid and e["type"].startswith(
        "crm.customer."))
    event = rt.event("crm.opportunity.created", f"{cid}-1", {
        "opportunity_id": f"{cid}-1", "customer_id": cid, "name": "N", "owner_id": snapshot["owner_id"],
        "department_path": snapshot["department_path"], "pipeline_id": "default", "stage": stage, "status": status,
        "amount": amount, "expected_close_date": None, "grade": grade, "expected_amount": expected_amount,
        "expected_sign_date": expected_sign_date, "source_lead_id": source_lead_id, "loss_reason": None,
        "by": "migration", "created_at": "2026-06-30T03:00:00+00:00"}, key=cid)
    event["version"] = 1
    return event

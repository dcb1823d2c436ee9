"""Opportunities (商机): a customer's many deals, each under the stage rules, what the customer adds up
from them, and old clients' stage and qualification calls acting on the customer's primary deal."""
from crm_common.events import validate
from crm_common.outbox import Relay
from crm_common.testing.events import data_of, of, outbox_events, read_topic
from customer.customers import intake

READY = dict(interest_expressed=True, needs="CRM", needs_matched=True, proposal_url="q.pdf", terms_agreed=True)
INVOICE = {"title": "Acme Ltd", "tax_id": "91330000X"}


class Account:
    """One of alice's customers and its deals, worked through the API."""

    def __init__(self, org, client, as_user="alice", **fields):
        self.client, self.headers = client, org.headers[as_user]
        self.id = org.customer(as_user, **fields)["id"]
        self.url = f"/v1/customers/{self.id}"

    def open(self, **body):
        return self.client.post(f"{self.url}/opportunities", json={"name": "Renewal", **body}, headers=self.headers)

    def deal(self, deal_id):
        return self.client.get(f"/v1/opportunities/{deal_id}", headers=self.headers)

    def learn(self, deal_id, **facts):
        etag = self.deal(deal_id).headers["ETag"]
        return self.client.patch(f"/v1/opportunities/{deal_id}", json=facts, headers={**self.headers, "If-Match": etag})

    def stage(self, deal_id, stage, **extra):
        return self.client.post(f"/v1/opportunities/{deal_id}/stage", json={"stage": stage, **extra},
                                headers=self.headers)

    def get(self):
        return self.client.get(self.url, headers=self.headers).json


def test_a_customer_has_many_deals_and_shows_what_they_add_up_to(org, client, rt):
    account = Account(org, client)
    first = account.open(name="First order", amount=100000, expected_close_date="2025-06-30")
    assert first.status_code == 201, first.json
    assert (first.json["stage"], first.json["status"], first.json["amount"]) == ("lead_acquired", "open", "100000.00")
    assert first.json["owner_id"] == org.id("alice") and first.headers["ETag"] == '"1"'
    upsell = account.open(name="Upsell", amount="2500.10")
    customer = account.get()
    assert (customer["open_opportunities"], customer["pipeline_amount"], customer["won_amount"]) == (
        2, "102500.10", "0.00")
    assert customer["primary_opportunity_id"] == upsell.json["id"]  # the most recently active open one
    [event] = of(rt, "crm.opportunity.created", first.json["id"])
    validate(event)
    # its own subject and version; the customer's id as the Kafka key, so it shares the customer's partition
    assert event["partitionkey"] == account.id and event["data"]["customer_id"] == account.id
    assert event["data"]["amount"] == "100000.00" and event["data"]["expected_close_date"] == "2025-06-30"


def test_a_deal_moves_under_the_stage_rules_on_its_own_facts(org, client, rt):
    account = Account(org, client, invoice_info=INVOICE)
    deal = account.open().json["id"]
    refused = account.stage(deal, "needs_confirmed")
    assert refused.status_code == 409
    assert [m["condition"] for m in refused.json["missing_conditions"]] == ["interest_expressed"]
    missing = client.patch(f"/v1/opportunities/{deal}", json={"interest_expressed": True}, headers=account.headers)
    assert missing.status_code == 428
    learnt = account.learn(deal, interest_expressed=True, needs="CRM", needs_matched=True)
    assert learnt.status_code == 200 and learnt.headers["ETag"] == '"2"', learnt.json
    stale = client.patch(f"/v1/opportunities/{deal}", json={"needs": "ERP"},
                         headers={**account.headers, "If-Match": '"1"'})
    assert stale.status_code == 412 and account.deal(deal).json["needs"] == "CRM"
    moved = account.stage(deal, "needs_confirmed")
    assert moved.status_code == 200 and moved.json["stage"] == "needs_confirmed", moved.json
    customer = account.get()
    assert customer["stage"] == "needs_confirmed" and customer["lifecycle"] == "has_demand"
    # the customer's own facts are not the deal's: a second deal starts from nothing
    second = account.open(name="Second line").json["id"]
    assert account.stage(second, "needs_confirmed").status_code == 409
    proposal = account.stage(deal, "negotiation")
    assert [m["condition"] for m in proposal.json["missing_conditions"]] == ["proposal_attached"]
    history = client.get(f"/v1/opportunities/{deal}/stage-history", headers=account.headers).json
    assert [(h["from"], h["to"], h["by"]) for h in history] == [("lead_acquired", "needs_confirmed", org.id("alice"))]
    changed = data_of(rt, "crm.opportunity.stage_changed", deal)
    assert [(c["from"], c["to"], c["by"]) for c in changed] == [("lead_acquired", "needs_confirmed", org.id("alice"))]
    bad = account.stage(deal, "dreaming")
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "stage"


def test_won_deals_move_the_lifecycle_and_the_won_amount(org, client, rt):
    account = Account(org, client, invoice_info=INVOICE)
    first = account.open(name="First order", amount=100000).json["id"]
    account.learn(first, **READY)
    contract = client.post(f"{account.url}/contracts", headers=account.headers,
                           json={"amount": 100000, "start_date": "2025-01-01", "end_date": "2025-12-31"})
    assert contract.json["opportunity_id"] == first  # made on the customer: its primary deal's
    won = account.stage(first, "contract_signed")
    assert won.status_code == 200 and won.json["status"] == "won", won.json
    customer = account.get()
    assert (customer["lifecycle"], customer["won_amount"], customer["open_opportunities"]) == ("signed", "100000.00", 0)
    [data] = data_of(rt, "crm.opportunity.won", first)
    assert data["amount"] == "100000.00" and data["status"] == "won"
    assert data_of(rt, "crm.customer.won", account.id)  # old consumers still learn of the win
    lost = account.open(name="Second line", amount=5000).json["id"]
    assert account.stage(lost, "lost").json["missing_conditions"][0]["condition"] == "loss_reason"
    gone = account.stage(lost, "lost", loss_reason="budget")
    assert gone.json["status"] == "lost" and gone.json["loss_reason"] == "budget"
    assert data_of(rt, "crm.opportunity.lost", lost)[0]["reason"] == "budget"
    assert account.get()["lifecycle"] == "signed"  # a customer who bought stays one


def test_a_deal_won_without_a_contract_is_a_purchase_and_a_second_is_a_repeat(org, client):
    stages = [{"key": "talking", "name": "talking", "exit_conditions": ["valid_contact"]},
              {"key": "won", "name": "won", "closes": "won"}]
    assert client.put("/v1/pipelines/quick", json={"name": "Quick", "stages": stages},
                      headers=org.admin).status_code == 200
    account = Account(org, client)
    for name in ("First", "Second"):
        deal = account.open(name=name, pipeline_id="quick", amount=10)
        assert deal.json["stage"] == "talking", deal.json
        assert account.stage(deal.json["id"], "won").status_code == 200
    customer = account.get()
    assert (customer["lifecycle"], customer["won_amount"]) == ("repeat_purchase", "20.00")


def test_old_clients_act_on_the_primary_deal_and_are_told_of_its_route(org, client, rt):
    account = Account(org, client, **READY)
    moved = client.post(f"{account.url}/stage", json={"stage": "needs_confirmed"}, headers=account.headers)
    assert moved.status_code == 200 and moved.json["stage"] == "needs_confirmed"
    deal = moved.json["primary_opportunity_id"]
    assert moved.headers["Deprecation"] == "true"
    assert moved.headers["Link"] == f'</v1/opportunities/{deal}>; rel="successor-version"'
    assert account.deal(deal).json["stage"] == "needs_confirmed"  # the deal the customer's facts started
    qualified = client.put(f"{account.url}/qualification", headers=account.headers,
                           json={"qualitative": "valuable", "expected_amount": 600000, "expected_sign_date": "2025-06-30"})
    assert qualified.status_code == 200 and qualified.json["qualification"]["grade"] == "large"
    assert qualified.headers["Link"] == f'</v1/opportunities/{deal}>; rel="successor-version"'
    graded = account.deal(deal).json
    assert (graded["grade"], graded["expected_amount"], graded["expected_sign_date"]) == (
        "large", "600000.00", "2025-06-30")
    refused = client.post(f"{account.url}/stage", json={"stage": "lost"}, headers=account.headers)
    assert refused.status_code == 409 and refused.json["missing_conditions"][0]["condition"] == "loss_reason"
    assert refused.headers["Deprecation"] == "true"
    lost = client.post(f"{account.url}/stage", json={"stage": "lost", "loss_reason": "price"}, headers=account.headers)
    assert lost.json["stage"] == "lost" and lost.json["primary_opportunity_id"] is None
    again = client.post(f"{account.url}/stage", json={"stage": "lost", "loss_reason": "x"}, headers=account.headers)
    assert again.status_code == 409  # as before: already in that stage, and no new deal opened for it
    reopened = client.post(f"{account.url}/stage", json={"stage": "initial_contact"}, headers=account.headers)
    assert reopened.status_code == 200 and reopened.json["primary_opportunity_id"] not in (None, deal)
    assert [e["to"] for e in data_of(rt, "crm.customer.stage_changed", account.id)] == [
        "needs_confirmed", "lost", "initial_contact"]


def test_a_converted_lead_brings_its_first_deal(org, client, rt):
    lead = {"lead_id": "lead-9", "converted_by": org.id("alice"), "owner_id": org.id("alice"), "name": "Zhou",
            "company": "Acme", "phones": ["+8613800007777"], "emails": [], "wechat_ids": [],
            "converted_at": "2025-01-01T00:00:00Z"}
    rt.transaction(lambda s: intake.create_from_lead(rt, s, lead))
    [customer] = client.get("/v1/customers", query_string={"source_lead_id": "lead-9"}, headers=org.admin).json["items"]
    [deal] = client.get("/v1/opportunities", query_string={"customer_id": customer["id"]},
                        headers=org.headers["alice"]).json["items"]
    assert (deal["source_lead_id"], deal["stage"], deal["owner_id"]) == ("lead-9", "lead_acquired", org.id("alice"))
    assert customer["open_opportunities"] == 1 and customer["primary_opportunity_id"] == deal["id"]
    assert [e["type"] for e in outbox_events(rt.db) if e["type"] != "crm.config.changed"][-3:] == [
        "crm.customer.created", "crm.customer.lifecycle_changed", "crm.opportunity.created"]


def test_deals_are_seen_as_their_customers_are_and_filtered(org, client):
    account = Account(org, client)
    early = account.open(name="Early", expected_close_date="2025-03-01").json["id"]
    late = account.open(name="Late", expected_close_date="2025-09-01").json["id"]
    carol = org.headers["carol"]  # a rep of another department
    assert client.get(f"/v1/opportunities/{early}", headers=carol).status_code == 404
    assert client.get("/v1/opportunities", headers=carol).json["items"] == []
    assert client.post(f"/v1/opportunities/{early}/stage", json={"stage": "lost", "loss_reason": "x"},
                       headers=carol).status_code == 404
    manager = org.headers["east_manager"]
    listed = client.get("/v1/opportunities", query_string={"customer_id": account.id, "close_from": "2025-06-01"},
                        headers=manager).json["items"]
    assert [d["id"] for d in listed] == [late]
    by_status = client.get("/v1/opportunities", query_string={"status": "open", "owner_id": org.id("alice"),
                                                              "limit": 1}, headers=manager).json
    assert len(by_status["items"]) == 1 and by_status["next_cursor"]
    # a new owner of the customer takes its open deals, and sees them
    etag = client.get(account.url, headers=account.headers).headers["ETag"]
    assert client.post(f"{account.url}/owner", json={"owner_id": org.id("carol")},
                       headers={**org.admin, "If-Match": etag}).status_code == 200
    assert client.get(f"/v1/opportunities/{early}", headers=carol).json["owner_id"] == org.id("carol")


def test_bad_input_names_the_field_and_writes_nothing(org, client, rt):
    account = Account(org, client)
    for body, field in [({"amount": -1}, "amount"), ({"amount": "1.001"}, "amount"),
                        ({"expected_close_date": "soon"}, "expected_close_date"), ({"name": ""}, "name"),
                        ({"pipeline_id": "nope"}, "pipeline_id"), ({"stage": "won"}, "stage")]:
        refused = account.open(**body)
        assert refused.status_code == 400 and refused.json["errors"][0]["field"] == field, (body, refused.json)
    assert client.get("/v1/opportunities", query_string={"status": "maybe"},
                      headers=account.headers).json["errors"][0]["field"] == "status"
    assert client.get("/v1/opportunities", query_string={"close_from": "2025-02-01", "close_to": "2025-01-01"},
                      headers=account.headers).json["errors"][0]["field"] == "close_to"
    deal = account.open().json["id"]
    assert account.learn(deal, owner_id="x").json["errors"][0]["field"] == "owner_id"
    assert account.learn(deal, grade="huge").json["errors"][0]["field"] == "grade"
    assert client.get(f"/v1/opportunities?customer_id={account.id}", headers=account.headers).json["items"][0][
        "version"] == 1
    assert client.post("/v1/customers/nobody/opportunities", json={"name": "x"},
                       headers=account.headers).status_code == 404
    assert len(outbox_events(rt.db, "crm.opportunity.created")) == 1


def test_a_retried_post_answers_the_first_deal(org, client, rt):
    account = Account(org, client)
    headers = {**account.headers, "Idempotency-Key": "deal-1"}
    first = client.post(f"{account.url}/opportunities", json={"name": "Once"}, headers=headers)
    again = client.post(f"{account.url}/opportunities", json={"name": "Once"}, headers=headers)
    assert (again.status_code, again.json["id"], again.headers.get("Idempotent-Replayed")) == (
        201, first.json["id"], "true")
    assert account.get()["open_opportunities"] == 1


def test_a_deleted_customer_takes_its_deals_with_it(org, client, rt):
    account = Account(org, client)
    deal = account.open().json["id"]
    assert client.delete(account.url, headers=account.headers).status_code == 204
    assert client.get(f"/v1/opportunities/{deal}", headers=org.admin).status_code == 404
    [gone] = of(rt, "crm.opportunity.deleted", deal)
    assert gone["partitionkey"] == account.id


def test_the_openapi_document_names_the_opportunity_routes(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/v1/customers/{customer_id}/opportunities", "/v1/opportunities", "/v1/opportunities/{opportunity_id}",
            "/v1/opportunities/{opportunity_id}/stage"} <= set(paths)
    patch = paths["/v1/opportunities/{opportunity_id}"]["patch"]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    assert {p["name"] for p in paths["/v1/opportunities"]["get"]["parameters"]} >= {
        "customer_id", "owner_id", "stage", "status", "close_from", "close_to"}


def test_a_deals_events_reach_kafka_keyed_by_its_customer(org, client, rt, servers):
    account = Account(org, client)
    deal = account.open().json["id"]
    Relay(rt.db, rt.clock, lambda: rt.producer).run_once()
    messages = read_topic(servers.kafka_bootstrap, "crm.customers", expect=3)
    created = [m for m in messages if b"crm.opportunity.created" in m.value]
    # the customer's id, as its own events have, not the deal's: one partition keeps them in order
    assert [m.key.decode() for m in created] == [account.id] and deal.encode() in created[0].value

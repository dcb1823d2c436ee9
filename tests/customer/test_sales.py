"""The sales process the system enforces: qualification, stages with conditions and actions,
milestones and lifecycle classes, structured follow-ups, contracts and payments."""
from datetime import datetime, timedelta, timezone

from crm_common.outbox import Relay
from crm_common.testing.events import data_of, events_of, expect_events, outbox_events, read_topic

IF_ANY = {}


def soon(days=2):
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0).isoformat()


class Deal:
    """One of alice's customers, worked through the API."""

    def __init__(self, org, client, **fields):
        self.client, self.headers = client, org.headers["alice"]
        self.id = org.customer("alice", **fields)["id"]
        self.url = f"/v1/customers/{self.id}"

    def post(self, suffix, body):
        return self.client.post(self.url + suffix, json=body, headers=self.headers)

    def stage(self, stage, **extra):
        return self.post("/stage", {"stage": stage, **extra})

    def learn(self, **facts):
        etag = self.client.get(self.url, headers=self.headers).headers["ETag"]
        response = self.client.patch(self.url, json=facts, headers={**self.headers, "If-Match": etag})
        assert response.status_code == 200, response.json
        return response.json

    def contract(self, amount=100000):
        return self.post("/contracts", {"amount": amount, "start_date": "2025-01-01", "end_date": "2025-12-31"})

    def get(self):
        return self.client.get(self.url, headers=self.headers).json


def test_qualification_records_the_three_decisions_and_the_node(org, client, rt):
    deal = Deal(org, client)
    done = client.put(f"{deal.url}/qualification", headers=deal.headers, json={
        "qualitative": "valuable", "expected_amount": 600000, "expected_sign_date": "2025-06-30"})
    assert done.status_code == 200, done.json
    assert done.json["qualification"]["grade"] == "large" and done.json["milestones"]["valuable"] is True
    assert done.json["opportunity_total"] == "600000.00"
    at = datetime.fromisoformat(done.json["qualification"]["at"])  # ISO 8601, as every other time
    assert client.get(deal.url, headers=deal.headers).json["qualification"]["at"] == done.json["qualification"]["at"]
    assert abs(at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    event = data_of(rt, "crm.customer.qualified", deal.id)[0]
    assert (event["qualitative"], event["grade"], event["expected_amount"], event["expected_sign_date"],
            event["stage"]) == ("valuable", "large", "600000.00", "2025-06-30", "lead_acquired")
    bad = client.put(f"{deal.url}/qualification", headers=deal.headers, json={"qualitative": "maybe"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "qualitative"


def test_a_stage_is_entered_only_when_its_conditions_hold(org, client, rt):
    deal = Deal(org, client)
    refused = deal.stage("proposal")
    assert refused.status_code == 409
    assert [m["condition"] for m in refused.json["missing_conditions"]] == ["interest_expressed", "needs_recorded"]
    assert deal.get()["stage"] == "lead_acquired" and not data_of(rt, "crm.customer.stage_changed", deal.id)
    deal.learn(interest_expressed=True, needs="30 seats", needs_matched=True)
    assert deal.stage("needs_confirmed").status_code == 200
    assert deal.stage("negotiation").json["missing_conditions"][0]["condition"] == "proposal_attached"
    unknown = deal.stage("dreaming")
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "stage"


def test_every_transition_is_recorded_with_actor_and_time(org, client, rt):
    deal = Deal(org, client, interest_expressed=True)
    deal.stage("initial_contact")
    deal.stage("lead_acquired")
    history = client.get(f"{deal.url}/stage-history", headers=deal.headers).json
    assert [(h["from"], h["to"], h["by"]) for h in history] == [
        ("lead_acquired", "initial_contact", org.id("alice")), ("initial_contact", "lead_acquired", org.id("alice"))]
    assert history[0]["at"] <= history[1]["at"] and history[1]["stayed_seconds"] >= 0
    changed = data_of(rt, "crm.customer.stage_changed", deal.id)[0]
    assert (changed["from"], changed["to"], changed["expected_rate"]) == ("lead_acquired", "initial_contact", 0.6)


def test_entering_proposal_schedules_a_follow_up_in_seven_days(org, client, rt):
    deal = Deal(org, client, interest_expressed=True, needs="CRM", needs_matched=True, proposal_url="https://q/1.pdf")
    # the customer's first deal is opened by the stage call, and moves
    with expect_events(rt, [("crm.opportunity.created", {"customer_id": deal.id, "stage": "lead_acquired"}),
                            ("crm.opportunity.stage_changed", {"customer_id": deal.id, "to": "proposal"}),
                            ("crm.customer.stage_changed", {"subject": deal.id, "to": "proposal"}),
                            ("crm.customer.followup_scheduled", {"subject": deal.id, "stage": "proposal"}),
                            ("crm.customer.lifecycle_changed", {"to": "has_demand"})]) as written:
        entered = deal.stage("proposal")
    assert entered.status_code == 200, entered.json
    due = datetime.fromisoformat(written[3]["data"]["due_at"])
    assert timedelta(days=6, hours=23) < due - datetime.now(timezone.utc) <= timedelta(days=7)
    assert datetime.fromisoformat(entered.json["next_contact_at"]) == due


def test_winning_needs_a_contract_and_invoice_info_and_drives_lifecycle(org, client, rt):
    deal = Deal(org, client, interest_expressed=True, needs="CRM", needs_matched=True, proposal_url="q.pdf",
                terms_agreed=True)
    assert deal.stage("needs_confirmed").json["lifecycle"] == "has_demand"
    target = deal.post("/milestones", {"milestone": "target", "target_month": "2025-06"})
    assert target.json["lifecycle"] == "target" and target.json["milestones"]["target_month"] == "2025-06"
    missing = deal.stage("contract_signed").json["missing_conditions"]
    assert [m["condition"] for m in missing] == ["contract_attached", "invoice_info"]
    assert deal.contract(100000).status_code == 201
    deal.learn(invoice_info={"title": "Acme Ltd", "tax_id": "91330000X"})
    won = deal.stage("contract_signed")
    assert won.status_code == 200 and won.json["lifecycle"] == "signed" and won.json["milestones"]["signed"]
    assert data_of(rt, "crm.customer.won", deal.id)[0]["order_total"] == "100000.00"
    trail = [(e["from"], e["to"], e["trigger"]) for e in data_of(rt, "crm.customer.lifecycle_changed", deal.id)]
    assert trail == [(None, "potential", "created"), ("potential", "has_demand", "demand_confirmed"),
                     ("has_demand", "target", "target_added"), ("target", "signed", "purchase")]


def test_a_deal_moved_past_needs_confirmed_has_demand_and_a_target_stays_one(org, client, rt):
    ready = dict(interest_expressed=True, needs="CRM", needs_matched=True, proposal_url="q.pdf")
    skipped = Deal(org, client, **ready)
    moved = skipped.stage("proposal")  # straight from lead_acquired: the conditions hold
    assert moved.status_code == 200 and moved.json["lifecycle"] == "has_demand"
    target = Deal(org, client, **ready)
    assert target.post("/milestones", {"milestone": "target", "target_month": "2025-06"}).json["lifecycle"] == "target"
    assert target.stage("proposal").json["lifecycle"] == "target"
    lost_early = Deal(org, client, **ready)
    assert lost_early.stage("lost", loss_reason="price").json["lifecycle"] == "lost"


def test_losing_needs_a_reason(org, client, rt):
    deal = Deal(org, client)
    assert deal.stage("lost").json["missing_conditions"] == [{"condition": "loss_reason",
                                                              "message": "a loss reason"}]
    with expect_events(rt, [("crm.opportunity.created", {"customer_id": deal.id}),
                            ("crm.opportunity.stage_changed", {"customer_id": deal.id, "to": "lost"}),
                            ("crm.opportunity.lost", {"customer_id": deal.id, "reason": "price"}),
                            ("crm.customer.stage_changed", {"subject": deal.id, "to": "lost"}),
                            ("crm.customer.lost", {"subject": deal.id, "reason": "price"}),
                            ("crm.customer.lifecycle_changed", {"to": "lost", "trigger": "lost"})]):
        lost = deal.stage("lost", loss_reason="price")
    assert lost.json["lifecycle"] == "lost" and lost.json["loss_reason"] == "price"


def test_milestones_are_set_and_cleared_by_hand_except_signed(org, client):
    deal = Deal(org, client)
    assert deal.post("/milestones", {"milestone": "pinned"}).json["milestones"]["pinned"] is True
    unpinned = client.delete(f"{deal.url}/milestones/pinned", headers=deal.headers)
    assert unpinned.status_code == 200 and unpinned.json["milestones"]["pinned"] is False
    no_month = deal.post("/milestones", {"milestone": "target"})
    assert no_month.status_code == 400 and no_month.json["errors"][0]["field"] == "target_month"
    signed = client.delete(f"{deal.url}/milestones/signed", headers=deal.headers)
    assert signed.status_code == 400 and signed.json["errors"][0]["field"] == "milestone"


def test_marks_move_the_lifecycle_by_hand(org, client, rt):
    deal = Deal(org, client)
    assert deal.post("/marks", {"mark": "no_demand"}).json["lifecycle"] == "nurturing"
    # the same class with a new reason: subscribers are told of the note (DOMAIN §6)
    assert deal.post("/marks", {"mark": "no_demand", "reason": "budget next year"}).status_code == 200
    assert data_of(rt, "crm.customer.updated", deal.id)[-1]["changed_fields"] == ["lifecycle_note"]
    assert deal.post("/marks", {"mark": "invalid", "reason": "fake number"}).json["lifecycle"] == "invalid"


def test_a_follow_up_is_structured_and_updates_the_customer(org, client, rt):
    deal = Deal(org, client)
    vague = deal.post("/followups", {"channel": "phone", "content": "called", "goal_met": False})
    assert vague.status_code == 400
    assert {e["field"] for e in vague.json["errors"]} == {"next_plan", "next_contact_at"}
    wrong = deal.post("/followups", {"channel": "fax", "content": "x", "goal_met": True})
    assert wrong.status_code == 400 and wrong.json["errors"][0]["field"] == "channel"
    when = soon(3)
    saved = deal.post("/followups", {"channel": "visit", "content": "demo went well", "goal": "book a trial",
                                     "goal_met": True, "next_plan": "send quote", "next_contact_at": when})
    assert saved.status_code == 201, saved.json
    customer = deal.get()
    assert customer["last_followup_at"] == saved.json["at"] and customer["followup_count"] == 1
    assert datetime.fromisoformat(customer["next_contact_at"]) == datetime.fromisoformat(when)
    assert customer["last_followup_summary"] == "demo went well"
    event = data_of(rt, "crm.customer.followed_up", deal.id)[0]
    assert (event["channel"], event["goal_met"], event["next_plan"]) == ("visit", True, "send quote")
    listed = client.get(f"{deal.url}/followups", headers=deal.headers).json["items"]
    assert [f["content"] for f in listed] == ["demo went well"]


def test_a_closed_deal_needs_no_next_plan(org, client):
    deal = Deal(org, client)
    deal.stage("lost", loss_reason="budget cut")
    closing = deal.post("/followups", {"channel": "email", "content": "thanks anyway", "goal_met": False})
    assert closing.status_code == 201 and deal.get()["next_contact_at"] is None


def test_contracts_and_payments_drive_totals_and_repeat_purchase(org, client, rt):
    deal = Deal(org, client)
    contract = deal.contract(100000).json
    assert deal.get()["lifecycle"] == "signed"
    paid = deal.post("/payments", {"amount": 30000, "received_on": "2025-02-01", "contract_id": contract["id"]})
    assert paid.status_code == 201, paid.json
    totals = deal.get()
    assert (totals["order_total"], totals["paid_total"], totals["outstanding"]) == ("100000.00", "30000.00", "70000.00")
    assert totals["lifecycle"] == "signed"  # paying the first contract is not a second purchase
    over = deal.post("/payments", {"amount": 80000, "received_on": "2025-02-02", "contract_id": contract["id"]})
    assert over.status_code == 409 and over.json["errors"][0]["field"] == "amount"
    deal.post("/payments", {"amount": 5000, "received_on": "2025-03-01"})  # a small order paid on the spot
    again = deal.get()
    assert (again["lifecycle"], again["paid_total"], again["outstanding"]) == ("repeat_purchase", "35000.00", "70000.00")
    received = data_of(rt, "crm.customer.payment_received", deal.id)
    assert [(p["amount"], p["outstanding"]) for p in received] == [("30000.00", "70000.00"), ("5000.00", "70000.00")]
    signed = data_of(rt, "crm.customer.contract_signed", deal.id)[0]
    assert (signed["end_date"], signed["amount"]) == ("2025-12-31", "100000.00")
    backwards = deal.post("/contracts", {"amount": 1, "start_date": "2025-05-01", "end_date": "2025-01-01"})
    assert backwards.status_code == 400 and backwards.json["errors"][0]["field"] == "end_date"
    assert [c["paid"] for c in client.get(f"{deal.url}/contracts", headers=deal.headers).json] == ["30000.00"]


def test_an_admin_reconfigures_a_pipeline_at_runtime(org, client, rt):
    read = client.get("/v1/pipelines/default", headers=org.headers["alice"])
    pipeline, replacing = read.json, {**org.admin, "If-Match": read.headers["ETag"]}
    assert [s["key"] for s in pipeline["stages"]][:2] == ["lead_acquired", "initial_contact"]
    assert pipeline["stages"][3]["expected_days"] == [14, 21] and pipeline["stages"][3]["expected_rate"] == 0.35
    stages = pipeline["stages"]
    stages[1]["exit_conditions"] = ["interest_expressed", "proposal_attached"]
    assert client.put("/v1/pipelines/default", json={"name": "Stricter", "stages": stages},
                      headers=org.headers["alice"]).status_code == 403
    missing = client.put("/v1/pipelines/default", json={"name": "Stricter", "stages": stages}, headers=org.admin)
    assert missing.status_code == 428  # the default pipeline exists: replacing it needs the ETag last read
    changed = client.put("/v1/pipelines/default", json={"name": "Stricter", "stages": stages}, headers=replacing)
    assert changed.status_code == 200, changed.json
    # reporting learns the stages and expectations it compares against
    [event] = outbox_events(rt.db, "crm.pipeline.changed")
    assert event["subject"] == "default" and event["data"]["name"] == "Stricter"
    assert [(s["key"], s["expected_rate"]) for s in event["data"]["stages"]][3] == ("proposal", 0.35)
    deal = Deal(org, client, interest_expressed=True)
    refused = deal.stage("needs_confirmed")
    assert [m["condition"] for m in refused.json["missing_conditions"]] == ["proposal_attached"]
    broken = client.put("/v1/pipelines/default", headers={**org.admin, "If-Match": "*"}, json={"name": "x", "stages": [
        {"key": "lead_acquired", "name": "a", "exit_conditions": ["telepathy"]}]})
    assert broken.status_code == 400  # unknown condition, and customers are in stages it drops


def test_a_following_stage_schedules_a_revisit_that_reaches_kafka(org, client, rt, servers):
    stages = [{"key": "lead_acquired", "name": "lead acquired", "exit_conditions": ["valid_contact"]},
              {"key": "following", "name": "following", "actions": [{"kind": "schedule_followup", "days": 2}]},
              {"key": "lost", "name": "lost", "exit_conditions": ["loss_reason"], "closes": "lost"}]
    put = client.put("/v1/pipelines/revisit", json={"name": "Revisits", "stages": stages}, headers=org.admin)
    assert put.status_code == 200, put.json
    deal = Deal(org, client, pipeline_id="revisit")
    entered = deal.stage("following")
    assert entered.status_code == 200, entered.json
    due = datetime.fromisoformat(entered.json["next_contact_at"])
    assert timedelta(days=1, hours=23) < due - datetime.now(timezone.utc) <= timedelta(days=2)
    Relay(rt.db, rt.clock, lambda: rt.producer).run_once()
    published = [e for e in events_of(read_topic(servers.kafka_bootstrap, "crm.customers", expect=4))
                 if e["type"] == "crm.customer.followup_scheduled"]
    assert [(e["subject"], e["data"]["stage"], e["data"]["owner_id"]) for e in published] == [
        (deal.id, "following", org.id("alice"))]
    assert datetime.fromisoformat(published[0]["data"]["due_at"]) == due

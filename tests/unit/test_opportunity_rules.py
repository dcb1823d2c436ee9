"""The decisions about a customer's deals (customer.opportunities.rules), without servers."""
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict
from customer.migrations.make_opportunities import first_deal
from customer.opportunities import rules
from customer.pipelines.stages import DEFAULT_PIPELINE

NOW = datetime(2025, 3, 1, tzinfo=timezone.utc)
CUSTOMER = {"_id": "c1", "name": "Acme", "owner_id": "u1", "department_path": ["d1"], "collaborator_ids": ["u2"],
            "pipeline_id": "default", "stage": "lead_acquired", "lifecycle": "potential", "purchases": 0,
            "contacts": [{"name": "Zhang", "phones": ["+8613800138000"]}],
            "invoice_info": {"title": "Acme Ltd", "tax_id": "913300"}, "interest_expressed": True}


def deal(**fields):
    return {**rules.new(CUSTOMER, DEFAULT_PIPELINE, {"name": "Deal"}, at=NOW), **fields}


def test_a_new_deal_starts_in_the_first_stage_owned_and_seen_as_its_customer():
    new = deal()
    assert (new["stage"], new["status"], new["owner_id"], new["amount"]) == ("lead_acquired", "open", "u1", None)
    assert (new["department_path"], new["collaborator_ids"]) == (["d1"], ["u1", "u2"])
    assert "interest_expressed" not in new  # the customer's facts are not a new deal's
    assert rules.new(CUSTOMER, DEFAULT_PIPELINE, {}, at=NOW, inherit=True)["interest_expressed"] is True


def test_the_deals_own_facts_open_its_stages_not_the_customers():
    with pytest.raises(Conflict) as refused:
        rules.move(DEFAULT_PIPELINE, CUSTOMER, deal(), "needs_confirmed", by="u1", now=NOW)
    assert [m["condition"] for m in refused.value.extra["missing_conditions"]] == ["interest_expressed"]
    step = rules.move(DEFAULT_PIPELINE, CUSTOMER, deal(interest_expressed=True), "needs_confirmed", by="u1", now=NOW)
    assert (step.opportunity["stage"], step.opportunity["active_at"]) == ("needs_confirmed", NOW)
    assert step.customer == {"lifecycle": "has_demand", "lifecycle_trigger": "demand_confirmed"}
    assert step.record["opportunity_id"] == step.opportunity["_id"] and step.record["by"] == "u1"
    assert [kind for kind, _ in step.opportunity_events] == ["crm.opportunity.stage_changed"]


def test_a_win_without_a_contract_is_a_purchase_and_with_one_it_was_already_counted():
    ready = dict(interest_expressed=True, needs="CRM", needs_matched=True, proposal_url="q", terms_agreed=True)
    open_ = {"closes": None, "exit_conditions": []}
    quick = {"_id": "quick", "stages": [{"key": "talking", "name": "t", **open_},
                                        {"key": "won", "name": "w", "exit_conditions": [], "closes": "won"}]}
    won = rules.move(quick, CUSTOMER, deal(stage="talking", pipeline_id="quick"), "won", by="u1", now=NOW)
    assert (won.opportunity["status"], won.customer["lifecycle"], won.customer["purchases"]) == ("won", "signed", 1)
    assert [kind for kind, _ in won.opportunity_events] == ["crm.opportunity.stage_changed", "crm.opportunity.won"]
    signed = {**CUSTOMER, "lifecycle": "signed", "purchases": 1, "contract_count": 1}
    with_contract = rules.move(DEFAULT_PIPELINE, signed, deal(contract_count=1, **ready), "contract_signed", by="u1",
                               now=NOW)
    assert with_contract.opportunity["status"] == "won" and "purchases" not in with_contract.customer


def test_the_primary_deal_is_the_most_recently_active_open_one():
    older, newer = deal(_id="a", active_at=NOW), deal(_id="b", active_at=NOW + timedelta(hours=1))
    assert rules.primary([older, newer])["_id"] == "b"
    assert rules.primary([older, {**newer, "status": "won"}])["_id"] == "a"
    assert rules.primary([{**older, "status": "lost"}]) is None


def test_the_customer_adds_up_its_deals_exactly_and_shows_the_primary_stage():
    deals = [deal(_id="a", amount=money.stored("0.10"), active_at=NOW, stage="proposal"),
             deal(_id="b", amount=money.stored("0.20"), active_at=NOW),
             deal(_id="c", amount=money.stored("5"), status="won", stage="contract_signed",
                  active_at=NOW + timedelta(days=1))]
    shown = rules.customer_fields(deals)
    assert (shown["open_opportunities"], money.text(shown["pipeline_amount"]), money.text(shown["won_amount"])) == (
        2, "0.30", "5.00")
    assert (shown["primary_opportunity_id"], shown["stage"]) == ("b", "lead_acquired")  # b was touched after a
    closed = rules.customer_fields([deals[2]])
    assert (closed["primary_opportunity_id"], closed["stage"]) == (None, "contract_signed")
    assert rules.customer_fields([])["open_opportunities"] == 0


def test_a_deals_grade_follows_its_expected_amount_unless_stated():
    graded = deal()
    rules.qualify(graded, {"expected_amount": 600000})
    assert (graded["grade"], money.text(graded["expected_amount"])) == ("large", "600000.00")
    rules.qualify(graded, {"grade": "small"})
    assert graded["grade"] == "small" and money.text(graded["expected_amount"]) == "600000.00"


def test_a_stored_customer_becomes_its_first_deal_as_it_stood():
    stored = {**CUSTOMER, "stage": "negotiation", "stage_entered_at": NOW, "created_at": NOW, "source_lead_id": "L1",
              "qualification": {"grade": "large", "expected_amount": money.stored(600000)}}
    made = first_deal(stored, DEFAULT_PIPELINE, [{"amount": money.stored("100.10")}, {"amount": money.stored(1)}], NOW)
    assert (made["_id"], made["stage"], made["status"], money.text(made["amount"])) == (
        "c1-1", "negotiation", "open", "101.10")
    assert (made["contract_count"], made["grade"], made["source_lead_id"], made["interest_expressed"]) == (
        2, "large", "L1", True)
    lost = first_deal({**stored, "stage": "lost", "loss_reason": "price", "qualification": None}, DEFAULT_PIPELINE,
                      [], NOW)
    assert (lost["status"], lost["loss_reason"], lost["amount"]) == ("lost", "price", None)


def test_an_approved_contract_wins_into_contract_signed_or_a_custom_pipelines_won_stage():
    assert rules.won_stage(DEFAULT_PIPELINE) == "contract_signed"
    custom = {"stages": [{"key": "open", "closes": None}, {"key": "closed_won", "closes": "won"},
                         {"key": "closed_lost", "closes": "lost"}]}
    assert rules.won_stage(custom) == "closed_won"
    assert rules.won_stage({"stages": [{"key": "open", "closes": None}]}) is None
    won = deal(stage="contract_signed", status="won", won_by_contract_id="k1")
    assert rules.won_by_contract(won, "contract_signed") and not rules.won_by_contract(won, "lost")
    assert not rules.won_by_contract(deal(stage="contract_signed", status="won"), "contract_signed")  # by hand

"""The pure rules of DOMAIN §2: stage conditions, lifecycle classes, completeness, follow-up plans, grades."""
from datetime import datetime, timedelta, timezone

import pytest

from customer.customers import contacts, derived
from customer.pipelines import stages
from customer.sales import followups, lifecycle, qualification

PIPELINE = stages.DEFAULT_PIPELINE
NOW = datetime(2025, 3, 1, tzinfo=timezone.utc)


def test_entering_a_stage_needs_the_exit_conditions_of_every_stage_before_it():
    assert stages.required_conditions(PIPELINE, "lead_acquired") == []
    assert stages.required_conditions(PIPELINE, "needs_confirmed") == ["valid_contact", "interest_expressed"]
    assert stages.required_conditions(PIPELINE, "contract_signed") == [
        "valid_contact", "interest_expressed", "needs_recorded", "proposal_attached", "terms_agreed",
        "contract_attached", "invoice_info"]
    assert stages.required_conditions(PIPELINE, "lost") == ["loss_reason"]


def test_missing_conditions_name_what_does_not_hold_yet():
    customer = {"contacts": [{"phones": ["+8613800138000"]}], "interest_expressed": True, "needs": "CRM for 50",
                "needs_matched": False}
    missing = stages.missing_conditions(PIPELINE, customer, "proposal")
    assert [m["condition"] for m in missing] == ["needs_recorded"]
    assert "needs recorded" in missing[0]["message"]
    assert [m["condition"] for m in stages.missing_conditions(PIPELINE, {"contacts": []}, "initial_contact")] == [
        "valid_contact"]
    signed = {**customer, "needs_matched": True, "proposal_url": "q.pdf", "terms_agreed": True, "contract_count": 1,
              "invoice_info": {"title": "Acme Ltd"}}
    assert [m["condition"] for m in stages.missing_conditions(PIPELINE, signed, "contract_signed")] == ["invoice_info"]


def test_a_pipeline_definition_is_checked():
    errors = stages.validate_pipeline([{"key": "a", "exit_conditions": ["telepathy"]}, {"key": "a", "closes": None}])
    assert {e["field"] for e in errors} == {"stages.0.exit_conditions", "stages.1.key"}
    assert stages.validate_pipeline([{"key": "won", "closes": "won", "exit_conditions": []}])[0]["field"] == "stages.0"


@pytest.mark.parametrize("current, trigger, purchases, expected", [
    (None, "created", 0, "potential"),
    ("potential", "no_demand", 0, "nurturing"),
    ("nurturing", "demand_confirmed", 0, "has_demand"),
    ("has_demand", "target_added", 0, "target"),
    ("target", "purchase", 1, "signed"),
    ("signed", "purchase", 2, "repeat_purchase"),
    ("target", "lost", 0, "lost"),
    ("potential", "disqualified", 0, "invalid"),
    ("signed", "lost", 1, "signed"),            # a later deal lost does not un-sign a customer
    ("repeat_purchase", "demand_confirmed", 2, "repeat_purchase"),
    ("lost", "demand_confirmed", 0, "has_demand"),  # a lost customer with a new need is worked again
])
def test_lifecycle_classes_change_by_themselves_on_events(current, trigger, purchases, expected):
    assert lifecycle.next_class(current, trigger, purchases) == expected


def test_an_unknown_lifecycle_trigger_is_a_programming_error():
    with pytest.raises(ValueError):
        lifecycle.next_class("potential", "moon_phase")


def test_profile_completeness_counts_filled_editable_fields():
    empty = {"name": "Acme", "contacts": []}
    full = {field: "x" for field in derived.PROFILE_FIELDS} | {
        "tags": ["vip"], "contacts": [{"name": "Zhang", "phones": ["+8613800138000"]}]}
    assert derived.completeness(empty) == round(1 / len(derived.PROFILE_FIELDS), 2)
    assert derived.completeness(full) == 1.0
    assert derived.completeness({**full, "contacts": [{"name": "Zhang", "phones": []}]}) < 1.0


def test_totals_outstanding_and_opportunity():
    customer = {"qualification": {"expected_amount": 80000}, "order_total": 100000, "paid_total": 30000}
    assert derived.totals(customer, deal_closed=False) == {
        "opportunity_total": 80000, "order_total": 100000, "paid_total": 30000, "outstanding": 70000}
    assert derived.totals(customer, deal_closed=True)["opportunity_total"] == 0


def test_a_follow_up_needs_a_next_plan_in_the_future_unless_the_deal_is_closed():
    assert {e["field"] for e in followups.missing_plan({}, deal_closed=False, now=NOW)} == {
        "next_plan", "next_contact_at"}
    past = {"next_plan": "call", "next_contact_at": NOW - timedelta(hours=1)}
    assert followups.missing_plan(past, deal_closed=False, now=NOW) == [
        {"field": "next_contact_at", "message": "must be in the future"}]
    assert followups.missing_plan({}, deal_closed=True, now=NOW) == []


def test_the_grade_follows_the_expected_amount():
    assert [qualification.grade_for(a) for a in (None, 10_000, 50_000, 500_000)] == [None, "small", "normal", "large"]


def test_contact_methods_are_normalised_into_identity_keys():
    contact = contacts.normalised({"phones": ["138 0013 8000", "+86-13800138000"], "emails": [" Li@Acme.CN "]})
    assert contact["phones"] == ["+8613800138000"] and contact["emails"] == ["li@acme.cn"]
    assert contacts.identity_keys([contact]) == ["email:li@acme.cn", "phone:+8613800138000"]
    with pytest.raises(contacts.FieldError) as error:
        contacts.normalised({"phones": ["12"]})
    assert error.value.field == "phones.0"

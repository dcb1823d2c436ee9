"""The customer service's pure decisions (DOMAIN §2, §3), without servers: may a customer enter a
stage and what entering changes, how the lifecycle class moves, and who may give a customer to whom."""
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.auth import Principal
from crm_common.errors import from_refusal
from crm_common.kernel import ownership
from crm_common.kernel.refusals import Conflict, Forbidden, Invalid
from customer.customers import ownership_rules as rules
from customer.pipelines import stages, transitions
from customer.sales import lifecycle

PIPELINE = stages.DEFAULT_PIPELINE
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
PHONE = [{"name": "Zhang", "phones": ["+8613800138000"]}]
READY_FOR_PROPOSAL = {"interest_expressed": True, "needs": "CRM for 30 seats", "needs_matched": True,
                      "proposal_url": "https://q/1.pdf"}

EAST, WEST, SALES = ["sales", "east"], ["sales", "west"], ["sales"]
ADMIN = Principal("u-admin", "admin", "admin", [])
BOSS = Principal("u-boss", "boss", "manager", SALES)
EAST_MANAGER = Principal("u-em", "east_manager", "manager", EAST)
ALICE = Principal("u-alice", "alice", "rep", EAST)


def a_customer(**fields) -> dict:
    return {"_id": "c1", "stage": "lead_acquired", "stage_entered_at": NOW - timedelta(days=2),
            "lifecycle": "potential", "lifecycle_trigger": "created", "purchases": 0, "contacts": PHONE, "owner_id": ALICE.user_id,
            "department_path": EAST, "collaborator_ids": [], "claim_count": 0, "next_contact_at": None,
            "order_total": 0, **fields}


def a_user(user_id="u-bob", department_path=EAST, **fields) -> dict:
    return {"_id": user_id, "username": user_id.removeprefix("u-"), "department_id": department_path[-1],
            "department_path": department_path, **fields}


def enter(customer, key, **kwargs):
    return transitions.enter(PIPELINE, customer, key, by=ALICE.user_id, now=NOW, **kwargs)


# --- may the customer enter the stage -------------------------------------------------------------------------

def test_a_stage_the_pipeline_does_not_have_is_invalid_and_names_the_stages_it_has():
    with pytest.raises(Invalid) as refused:
        enter(a_customer(), "dreaming")
    assert refused.value.errors[0]["field"] == "stage"
    assert "lead_acquired" in refused.value.errors[0]["message"] and "lost" in refused.value.errors[0]["message"]


def test_the_stage_the_customer_is_in_cannot_be_entered_again():
    with pytest.raises(Conflict, match="already in stage initial_contact"):
        enter(a_customer(stage="initial_contact", interest_expressed=True), "initial_contact")


def test_a_stage_is_not_skipped_over_while_an_earlier_stage_s_exit_condition_is_missing():
    with pytest.raises(Conflict) as refused:
        enter(a_customer(needs="CRM", needs_matched=True, proposal_url="q.pdf"), "proposal")
    assert refused.value.detail == "stage proposal cannot be entered yet: 1 condition(s) missing"
    assert [m["condition"] for m in refused.value.extra["missing_conditions"]] == ["interest_expressed"]
    assert refused.value.errors == [{"field": "interest_expressed",
                                     "message": "the customer expressed interest (interest_expressed)"}]


def test_the_refusal_answers_as_the_409_with_missing_conditions_the_api_always_gave():
    with pytest.raises(Conflict) as refused:
        enter(a_customer(contacts=[]), "initial_contact")
    problem = from_refusal(refused.value)
    assert problem.status == 409 and problem.title == "Conflict"
    assert problem.extra == {"missing_conditions": [{
        "condition": "valid_contact", "message": "a valid contact method (phone, email or WeChat id)"}]}


def test_losing_needs_a_reason_which_the_move_itself_may_give():
    with pytest.raises(Conflict) as refused:
        enter(a_customer(), "lost")
    assert refused.value.extra["missing_conditions"] == [{"condition": "loss_reason", "message": "a loss reason"}]
    assert transitions.target(PIPELINE, a_customer(), "lost", loss_reason="price")["key"] == "lost"


def test_winning_needs_a_contract_and_invoice_info_besides_every_earlier_condition():
    almost = a_customer(stage="negotiation", terms_agreed=True, **READY_FOR_PROPOSAL)
    with pytest.raises(Conflict) as refused:
        enter(almost, "contract_signed")
    assert [m["condition"] for m in refused.value.extra["missing_conditions"]] == ["contract_attached", "invoice_info"]


# --- what entering a stage changes -----------------------------------------------------------------------------

def test_entering_records_the_move_with_actor_time_and_stay_and_leaves_the_customer_as_it_was():
    customer = a_customer(interest_expressed=True)
    move = enter(customer, "initial_contact")
    assert move.changes["stage"] == "initial_contact" and move.changes["stage_entered_at"] == NOW
    assert (move.record["from"], move.record["to"], move.record["by"], move.record["at"]) == (
        "lead_acquired", "initial_contact", ALICE.user_id, NOW)
    assert move.record["stayed_seconds"] == 2 * 24 * 3600
    [changed, scheduled] = move.events
    assert changed == ("crm.customer.stage_changed", {
        "from": "lead_acquired", "to": "initial_contact", "pipeline_id": "default", "by": ALICE.user_id,
        "changed_at": NOW.isoformat(), "expected_days": [3, 7], "expected_rate": 0.6})
    assert scheduled[0] == "crm.customer.followup_scheduled" and scheduled[1]["stage"] == "initial_contact"
    assert customer["stage"] == "lead_acquired" and customer["next_contact_at"] is None  # pure: nothing changed


def test_entering_proposal_asks_for_a_follow_up_in_seven_days_unless_one_is_due_sooner():
    move = enter(a_customer(**READY_FOR_PROPOSAL), "proposal")
    assert move.changes["next_contact_at"] == NOW + timedelta(days=7)
    assert move.events[1][1]["due_at"] == (NOW + timedelta(days=7)).isoformat()
    sooner = NOW + timedelta(days=1)
    kept = enter(a_customer(next_contact_at=sooner, **READY_FOR_PROPOSAL), "proposal")
    assert "next_contact_at" not in kept.changes  # the earlier appointment stands; the reminder is still asked for
    assert [name for name, _ in kept.events] == ["crm.customer.stage_changed", "crm.customer.followup_scheduled"]


def test_a_deal_moved_past_needs_confirmed_has_demand_but_a_target_stays_a_target():
    assert enter(a_customer(**READY_FOR_PROPOSAL), "proposal").changes["lifecycle"] == "has_demand"
    assert "lifecycle" not in enter(a_customer(lifecycle="target", **READY_FOR_PROPOSAL), "proposal").changes
    assert enter(a_customer(interest_expressed=True, needs="CRM", needs_matched=True),
                 "needs_confirmed").changes["lifecycle_trigger"] == "demand_confirmed"


def test_a_lost_deal_keeps_its_reason_and_says_so_and_the_next_stage_forgets_it():
    lost = enter(a_customer(), "lost", loss_reason="price")
    assert (lost.changes["loss_reason"], lost.changes["lifecycle"]) == ("price", "lost")
    assert lost.events[-1] == ("crm.customer.lost", {"reason": "price", "by": ALICE.user_id,
                                                     "lost_at": NOW.isoformat()})
    assert enter(a_customer(stage="lost", loss_reason="price"), "lead_acquired").changes["loss_reason"] is None


def test_winning_announces_the_order_total_and_a_customer_who_bought_stays_signed():
    signed = a_customer(stage="negotiation", terms_agreed=True, contract_count=1, order_total=100000,
                        invoice_info={"title": "Acme Ltd", "tax_id": "91330000X"}, lifecycle="signed", purchases=1,
                        **READY_FOR_PROPOSAL)
    won = enter(signed, "contract_signed")
    assert won.events[-1][0] == "crm.customer.won" and won.events[-1][1]["order_total"] == "100000.00"
    assert "lifecycle" not in won.changes
    assert "lifecycle" not in enter(signed | {"stage": "proposal"}, "lost", loss_reason="budget").changes


# --- lifecycle classes -----------------------------------------------------------------------------------------

def test_a_lifecycle_change_names_the_new_class_and_why_or_nothing_when_the_class_stays():
    assert lifecycle.change({"lifecycle": "potential"}, "no_demand") == {"lifecycle": "nurturing",
                                                                         "lifecycle_trigger": "no_demand"}
    assert lifecycle.change({"lifecycle": "nurturing"}, "no_demand") == {}
    assert lifecycle.change({"lifecycle": "target", "purchases": 1}, "purchase")["lifecycle"] == "signed"
    assert lifecycle.change({"lifecycle": "signed", "purchases": 2}, "purchase")["lifecycle"] == "repeat_purchase"
    assert lifecycle.change({"lifecycle": "repeat_purchase", "purchases": 2}, "lost") == {}
    assert lifecycle.change({"lifecycle": "signed", "purchases": 1}, "disqualified")["lifecycle"] == "invalid"


# --- who may give a customer to whom ---------------------------------------------------------------------------

def test_giving_a_customer_to_its_owner_is_refused():
    with pytest.raises(Conflict, match="already owns the customer"):
        rules.not_already_owner(a_customer(), ALICE.user_id)
    rules.not_already_owner(a_customer(), "u-bob")


def test_only_the_owner_a_manager_or_an_admin_may_transfer():
    bob = Principal("u-bob", "bob", "rep", EAST)
    with pytest.raises(Forbidden) as refused:
        rules.may_act_as_owner(bob, a_customer(), "transfer a customer")
    assert refused.value.detail == "only the owner, a manager or an admin can transfer a customer"
    for principal in (ALICE, EAST_MANAGER, ADMIN):
        rules.may_act_as_owner(principal, a_customer(), "transfer a customer")


def test_a_manager_assigns_only_within_their_department_subtree():
    with pytest.raises(Forbidden) as refused:
        rules.may_assign_to(EAST_MANAGER, a_user("u-carol", WEST), "owner_id")
    assert refused.value.errors == [{"field": "owner_id", "message": "outside your department"}]
    rules.may_assign_to(EAST_MANAGER, a_user("u-bob", EAST), "owner_id")
    rules.may_assign_to(BOSS, a_user("u-carol", WEST), "owner_id")  # west is below sales
    rules.may_assign_to(ADMIN, a_user("u-zed", ["elsewhere"]), "owner_id")
    with pytest.raises(Forbidden):
        rules.may_assign_to(Principal("u-x", "x", "manager", []), a_user(), "owner_id")  # no department: nobody


def test_a_rep_transfers_their_customer_only_within_their_own_department_subtree():
    """Issue 21: a rep in East cannot hand a customer to West, out of East's managers' sight."""
    with pytest.raises(Forbidden) as refused:
        rules.may_assign_to(ALICE, a_user("u-carol", WEST), "to_user_id")
    assert refused.value.errors == [{"field": "to_user_id", "message": "outside your department"}]
    assert refused.value.detail == "a rep transfers only to users of their own department or one below it"
    with pytest.raises(Forbidden):
        rules.may_assign_to(ALICE, a_user("u-boss", SALES), "to_user_id")  # above East is outside it too
    rules.may_assign_to(ALICE, a_user("u-bob", EAST), "to_user_id")
    rules.may_assign_to(ALICE, a_user("u-eve", EAST + ["east-north"]), "to_user_id")  # below East
    with pytest.raises(Forbidden):
        rules.may_assign_to(Principal("u-x", "x", "rep", []), a_user(), "to_user_id")  # no department: nobody


def test_the_new_owner_must_be_below_their_holding_limit():
    with pytest.raises(Conflict) as refused:
        rules.may_hold_one_more(a_user("u-carol", holding_limit=5), 5, "to_user_id")
    assert refused.value.detail == "carol already holds 5 customers, their limit"
    assert refused.value.errors == [{"field": "to_user_id", "message": "at holding limit"}]
    rules.may_hold_one_more(a_user("u-carol", holding_limit=5), 4, "to_user_id")
    rules.may_hold_one_more(a_user("u-carol"), 199, "owner_id")  # the default limit: 200
    with pytest.raises(Conflict):
        rules.may_hold_one_more(a_user("u-carol"), 200, "owner_id")


def test_a_new_owner_takes_the_customer_into_their_department_and_out_of_pool_and_collaborators():
    customer = a_customer(collaborator_ids=["u-bob", "u-dan"], pool_id="p1", claim_count=2)
    changes, (name, event) = rules.owner_change(customer, a_user("u-bob", WEST), kind="reassign", by="u-boss",
                                                reason="leave", at=NOW.isoformat())
    assert changes == {"owner_id": "u-bob", "in_pool": False, "pool_id": None, "department_id": "west",
                       "department_path": WEST, "collaborator_ids": ["u-dan"], "claim_count": 3}
    assert name == "crm.customer.owner_changed"
    assert event == {"from_owner_id": ALICE.user_id, "to_owner_id": "u-bob", "kind": "reassign", "reason": "leave",
                     "by": "u-boss", "claim_count": 3, "changed_at": NOW.isoformat()}


def test_into_the_pool_a_customer_keeps_its_department_and_its_claim_count():
    changes, (_, event) = rules.owner_change(a_customer(claim_count=2), None, kind="pool_reclaim", by="pool",
                                             reason=None, at=NOW.isoformat())
    assert changes == {"owner_id": None, "in_pool": True, "claim_count": 2}
    assert (event["from_owner_id"], event["to_owner_id"]) == (ALICE.user_id, None)


def test_collaborators_never_include_the_owner_and_a_transfer_may_keep_the_previous_one():
    assert rules.collaborators(a_customer(), ["u-dan", ALICE.user_id, "u-bob", "u-dan"]) == ["u-bob", "u-dan"]
    after = a_customer(owner_id="u-bob", collaborator_ids=["u-dan"])
    assert rules.collaborators_after_transfer(after, ALICE.user_id, True) == ["u-alice", "u-dan"]
    assert rules.collaborators_after_transfer(after, ALICE.user_id, False) == ["u-dan"]
    assert rules.collaborators_after_transfer(after, None, True) == ["u-dan"]  # it came from the pool


def test_a_pool_move_is_refused_with_the_first_expectation_that_no_longer_holds():
    followed = a_customer(last_followup_at=datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=timezone.utc), level="B")
    assert ownership.unmet(followed, {"owner_id": ALICE.user_id, "last_followup_at": "2025-03-01T08:00:00.123Z"}) is None
    assert ownership.unmet(followed, {"owner_id": "u-bob"}) == "owner_changed"
    assert ownership.unmet(followed, {"owner_id": ALICE.user_id, "last_followup_at": None}) == "followed_up"
    assert ownership.unmet(followed, {"level": "A"}) == "level_changed"
    assert ownership.unmet(followed, {"lifecycle": "target"}) == "lifecycle_changed"
    assert ownership.unmet(followed, {"stage": "proposal"}) == "stage_changed"

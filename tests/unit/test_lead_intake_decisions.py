"""Lead intake's pure decisions, without servers: the lead state machine (DOMAIN §1, lead states),
who may hand a lead to whom, and the assignment, scoring and de-duplication rules it feeds."""
from datetime import datetime, timezone

import pytest

from crm_common.auth import Principal
from crm_common.kernel.company_names import parse
from crm_common.kernel.refusals import Conflict, Forbidden, Invalid, Refusal
from lead_intake.assignment.choice import choose_team, pick_rep
from lead_intake.dedup import verdicts
from lead_intake.intake.scoring import score
from lead_intake.leads.states import (DISQUALIFY_REASONS, LEAD_STATES, OPEN, assigned, assignee_refusal, lost_race,
                                      transition)

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
ADMIN = Principal("u-admin", "admin", "admin", [])
MANAGER = Principal("m1", "m1", "manager", ["d1"])
REP = Principal("r1", "r1", "rep", ["d1", "d1a"])
OTHER_REP = Principal("r2", "r2", "rep", ["d1"])
REP_R1 = {"_id": "r1", "active": True, "department_path": ["d1", "d1a"]}


def lead(status="new", owner_id=None, **fields) -> dict:
    return {"_id": "L1", "status": status, "owner_id": owner_id, "name": "Wang", **fields}


def move(action, status="new", actor=MANAGER, owner_id=None, **given):
    return transition(lead(status, owner_id), action, actor, now=NOW, **given)


def refusal(outcome) -> tuple:
    assert isinstance(outcome, Refusal), f"expected a refusal, got {outcome!r}"
    return type(outcome), outcome.detail, outcome.errors


# --- which move from which status ---------------------------------------------------------------

ALLOWED = {  # action -> the statuses it may start from (DOMAIN §1: new -> assigned -> contacted -> ...)
    "assign": {"new", "assigned", "contacted"},
    "claim": {"new"},
    "contact": {"assigned"},
    "disqualify": {"new", "assigned", "contacted"},
    "convert": {"new", "assigned", "contacted"},
    "merge": {"new", "assigned", "contacted"},
}
GIVEN = {"assign": {"owner": REP_R1}, "disqualify": {"reason": "competitor"}, "merge": {"into_id": "L2"}}


@pytest.mark.parametrize("action,status", [(a, s) for a, allowed in ALLOWED.items() for s in sorted(allowed)])
def test_every_allowed_move_sets_its_new_status(action, status):
    owner = None if action == "claim" else "r1"
    changes = transition(lead(status, owner), action, ADMIN, now=NOW, **GIVEN.get(action, {}))
    expected = {"assign": "assigned", "claim": "assigned", "contact": "contacted", "disqualify": "disqualified",
                "convert": "converted", "merge": "merged"}[action]
    assert changes["status"] == expected and changes["updated_at"] == NOW


@pytest.mark.parametrize("action,status", [(a, s) for a, allowed in ALLOWED.items()
                                           for s in LEAD_STATES if s not in allowed and a != "claim"])
def test_every_other_status_refuses_the_move_naming_the_status_and_what_it_needs(action, status):
    outcome = transition(lead(status, "r1"), action, ADMIN, now=NOW, **GIVEN.get(action, {}))
    if action == "merge":
        assert refusal(outcome) == (Conflict, "only an open lead can be merged away",
                                    [{"field": "id", "message": "not open"}])
    else:
        needs = "assigned" if action == "contact" else "new, assigned, contacted"
        assert refusal(outcome) == (Conflict, f"the lead is {status}; this needs one of: {needs}", None)


def test_the_open_states_and_the_closed_ones():
    assert OPEN == ("new", "assigned", "contacted")
    assert set(LEAD_STATES) - set(OPEN) == {"converted", "disqualified", "merged"}


# --- who may make it -----------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["assign", "merge"])
def test_only_admins_and_managers_assign_or_merge(action):
    assert refusal(move(action, actor=REP, **GIVEN[action])) == (
        Forbidden, "this needs the role admin or manager", None)
    assert not isinstance(move(action, actor=MANAGER, **GIVEN[action]), Refusal)


@pytest.mark.parametrize("action,given", [("disqualify", {"reason": "invalid"}), ("convert", {})])
def test_a_rep_disqualifies_or_converts_only_a_lead_they_own(action, given):
    expected = (Forbidden, "only the lead's owner may do this; claim the lead first", None)
    assert refusal(move(action, "assigned", REP, owner_id="r2", **given)) == expected
    assert refusal(move(action, "new", REP, owner_id=None, **given)) == expected  # a pool lead is claimed first
    assert move(action, "assigned", REP, owner_id="r1", **given)["status"] in ("disqualified", "converted")
    # a manager or an admin may, whoever owns it
    assert not isinstance(move(action, "assigned", MANAGER, owner_id="r2", **given), Refusal)


def test_the_owner_is_refused_before_the_state_is_looked_at():
    # a rep who does not own a converted lead hears 403, not 409
    assert refusal(move("convert", "converted", OTHER_REP, owner_id="r1"))[0] is Forbidden


def test_anyone_who_sees_the_lead_marks_it_contacted():
    assert move("contact", "assigned", OTHER_REP, owner_id="r1")["status"] == "contacted"


# --- what each move changes ------------------------------------------------------------------------

def test_a_manager_assigns_a_lead_to_a_rep_with_the_reps_department():
    assert move("assign", "contacted", owner_id="r9", owner=REP_R1) == {
        "status": "assigned", "owner_id": "r1", "department_path": ["d1", "d1a"], "team_id": None,
        "assigned_at": NOW, "updated_at": NOW}


def test_a_rep_claims_an_unassigned_new_lead_for_themselves():
    assert move("claim", "new", REP) == {"status": "assigned", "owner_id": "r1", "department_path": ["d1", "d1a"],
                                         "team_id": None, "assigned_at": NOW, "updated_at": NOW}


@pytest.mark.parametrize("status,owner", [("new", "r2"), ("assigned", "r2"), ("contacted", "r1"),
                                          ("converted", None), ("disqualified", None), ("merged", None)])
def test_only_an_unassigned_new_lead_can_be_claimed(status, owner):
    assert refusal(move("claim", status, REP, owner_id=owner)) == (
        Conflict, "only an unassigned lead can be claimed", None)


def test_two_reps_claiming_one_lead_the_second_hears_the_first_got_there():
    assert refusal(lost_race("claim")) == (Conflict, "someone claimed the lead first", None)
    assert all(lost_race(action) is None for action in ALLOWED if action != "claim")


def test_contacting_records_when():
    assert move("contact", "assigned", REP, owner_id="r1") == {
        "status": "contacted", "contacted_at": NOW, "updated_at": NOW}


def test_a_disqualified_lead_keeps_its_reason_and_note():
    assert move("disqualify", "contacted", MANAGER, owner_id="r1", reason="no_demand", note="budget cut") == {
        "status": "disqualified", "disqualify_reason": "no_demand", "disqualify_note": "budget cut",
        "updated_at": NOW}


def test_a_lead_is_disqualified_only_for_a_known_reason():
    assert "competitor" in DISQUALIFY_REASONS
    kind, _, errors = refusal(move("disqualify", "new", MANAGER, reason="bored"))
    assert kind is Invalid and errors == [
        {"field": "reason", "message": "Must be one of: invalid, no_demand, competitor, unreachable, other."}]


def test_a_converted_lead_keeps_its_owner_and_a_pool_lead_becomes_the_converters():
    assert move("convert", "contacted", REP, owner_id="r1") == {
        "status": "converted", "owner_id": "r1", "converted_at": NOW, "updated_at": NOW}
    assert move("convert", "new", MANAGER, owner_id=None)["owner_id"] == "m1"


def test_a_merged_lead_names_its_survivor():
    assert move("merge", "assigned", MANAGER, owner_id="r1", into_id="C7", into_kind="customer") == {
        "status": "merged", "merged_into": {"id": "C7", "kind": "customer"}, "updated_at": NOW}


def test_a_lead_cannot_be_merged_into_itself_whatever_its_state():
    for status in ("new", "converted"):
        assert refusal(move("merge", status, ADMIN, into_id="L1")) == (
            Conflict, "a lead cannot be merged into itself", None)


def test_the_rules_assign_with_their_team():
    assert assigned("r3", ["d2"], "t1", NOW) == {"status": "assigned", "owner_id": "r3", "department_path": ["d2"],
                                                "team_id": "t1", "assigned_at": NOW, "updated_at": NOW}


def test_a_move_leaves_the_lead_it_judged_alone():
    before = lead("assigned", "r1")
    transition(before, "contact", REP, now=NOW)
    assert before == lead("assigned", "r1")


# --- to whom a lead may be handed ---------------------------------------------------------------

def test_a_manager_hands_a_lead_only_to_an_active_user_of_their_subtree():
    unknown = (Invalid, "the owner is not an active user", [{"field": "owner_id", "message": "unknown"}])
    assert assignee_refusal(MANAGER, REP_R1) is None
    assert refusal(assignee_refusal(MANAGER, None)) == unknown
    assert refusal(assignee_refusal(MANAGER, {**REP_R1, "active": False})) == unknown
    assert refusal(assignee_refusal(MANAGER, {"_id": "r7", "active": True, "department_path": ["d2"]})) == unknown
    assert assignee_refusal(ADMIN, {"_id": "r7", "active": True, "department_path": ["d2"]}) is None


# --- the rules intake applies (assignment, scoring, de-duplication) ---------------------------------

def test_a_lead_goes_to_the_first_team_whose_rules_match_else_the_default():
    rules = [{"team_id": "east", "region": ["上海市"], "industry": ["制造"]}, {"team_id": "web", "channel": ["ch-web"]}]
    assert choose_team({"city": "Shanghai", "industry": "制造"}, rules, "pool") == "east"
    assert choose_team({"city": "上海", "industry": "教育", "channel_id": "ch-web"}, rules, "pool") == "web"
    assert choose_team({"city": "北京"}, rules, "pool") == "pool"


def test_round_robin_skips_reps_who_are_inactive_or_at_their_holding_limit():
    members = [{"user_id": u, "weight": 1} for u in ("a", "b", "c")]
    reps = {"a": {"active": False}, "b": {"active": True, "holding_limit": 2}, "c": {"active": True}}
    chosen, state = pick_rep(members, reps, {"b": 2}, {})
    assert chosen == "c"
    assert pick_rep(members, {**reps, "c": {"active": True, "holding_limit": 0}}, {"b": 2}, state)[0] is None


def test_a_complete_hot_lead_scores_into_the_hot_bucket_and_says_why():
    points, bucket, parts = score({"phones": ["+8613800138000"], "emails": ["a@a.cn"], "product_interest": "CRM",
                                   "budget": 100_000, "company": "Acme", "industry": "IT", "city": "上海"}, 20,
                                  {"phone": 20, "email": 10, "product_interest": 20, "budget": 20,
                                   "budget_threshold": 100_000, "company_info": 10, "hot_at": 70, "warm_at": 40})
    assert (points, bucket) == (100, "hot") and parts["channel"] == 20
    assert score({"emails": ["a@a.cn"]}, 0)[:2] == (10, "cold")


def test_a_shared_phone_is_an_exact_duplicate_of_the_record_holding_most_keys():
    lead_record, customer = verdicts.Record("lead", "L1"), verdicts.Record("customer", "C1")
    found = verdicts.exact([("phone:+86138", customer), ("email:a@a.cn", lead_record), ("wechat:w", customer)])
    assert found.explain() == {"verdict": "duplicate", "duplicate_of": "C1", "duplicate_of_kind": "customer",
                               "matched_keys": ["phone:+86138", "wechat:w"]}
    assert verdicts.exact([]) is None


def test_a_homophone_brand_in_the_same_city_is_a_possible_duplicate_and_another_city_is_not():
    def company(record_id, name, city):
        parsed = parse(name)
        return verdicts.Company(verdicts.Record("lead", record_id), parsed.key, parsed.brand, parsed.sound, city)
    mine = company("", "华信电子科技有限公司", "上海")
    found = verdicts.possible(mine, [company("L2", "华新物流", "上海"), company("L3", "华新物流", "北京")])
    assert [(c["id"], c["reason"]) for c in found.candidates] == [("L2", "homophone_brand_same_city")]
    assert verdicts.possible(mine, []).verdict == "new"

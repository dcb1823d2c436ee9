"""Scoring, assignment and dedup verdicts: the pure rules of DOMAIN §1."""
from collections import Counter

from lead_intake import assignment, dedup, scoring
from lead_intake.dedup import Record


def test_default_scoring_points_and_buckets():
    full = {"phones": ["+86138"], "emails": ["a@b.cn"], "product_interest": "CRM", "budget": 200_000,
            "company": "X", "industry": "IT", "city": "北京"}
    assert scoring.score(full, 20) == (100, "hot", {"phone": 20, "email": 10, "product_interest": 20, "budget": 20,
                                                    "channel": 20, "company_info": 10})
    assert scoring.score({"phones": ["+86138"], "product_interest": "CRM"}, 0)[:2] == (40, "warm")
    assert scoring.score({"phones": ["+86138"], "budget": 99_999}, 10)[:2] == (30, "cold")


def test_scoring_follows_changed_rules():
    rules = {**scoring.DEFAULT_RULES, "email": 50}
    assert scoring.score({"emails": ["a@b.cn"]}, 0, rules)[:2] == (50, "warm")


def test_rules_choose_the_team_by_region_industry_and_channel():
    rules = [{"team_id": "finance-north", "region": ["北京", "天津"], "industry": ["finance"]},
             {"team_id": "web", "channel": ["ch1"]}]
    assert assignment.choose_team({"city": "北京", "industry": "finance"}, rules) == "finance-north"
    assert assignment.choose_team({"city": "北京", "industry": "retail", "channel_id": "ch1"}, rules) == "web"
    assert assignment.choose_team({"city": "上海"}, rules, "default") == "default"


def _reps(*ids, **overrides):
    return {i: {"active": True, "holding_limit": 200, **overrides.get(i, {})} for i in ids}


def test_weighted_round_robin_follows_weights_evenly():
    members = [{"user_id": "a", "weight": 3}, {"user_id": "b", "weight": 1}]
    state, picks = {}, []
    for _ in range(8):
        chosen, state = assignment.pick_rep(members, _reps("a", "b"), {}, state)
        picks.append(chosen)
    assert Counter(picks) == {"a": 6, "b": 2}
    assert picks[:4].count("b") == 1  # spread out, not a block of a's then b's


def test_inactive_reps_and_reps_at_their_limit_are_skipped():
    members = [{"user_id": u, "weight": 1} for u in "abc"]
    reps = _reps("a", "b", "c", a={"active": False}, b={"holding_limit": 5})
    picks = {assignment.pick_rep(members, reps, {"b": 5}, {})[0] for _ in range(3)}
    assert picks == {"c"}
    assert assignment.pick_rep(members, reps, {"b": 5, "c": 200}, {})[0] is None


def test_exact_verdict_names_the_record_holding_most_keys():
    verdict = dedup.exact([("phone:1", Record("lead", "L1")), ("email:x", Record("customer", "C1")),
                           ("wechat:w", Record("customer", "C1"))])
    assert verdict.explain() == {"verdict": "duplicate", "duplicate_of": "C1", "duplicate_of_kind": "customer",
                                 "matched_keys": ["email:x", "wechat:w"]}
    assert dedup.exact([]) is None


def test_possible_verdict_by_company_key_and_by_similar_name_in_the_city():
    same_city = [(Record("lead", "L2"), "xx科技信息"), (Record("lead", "L3"), "完全不同的公司")]
    verdict = dedup.possible("xx科技信息x", [Record("customer", "C9")], same_city, threshold=90)
    assert verdict.verdict == "possible_duplicate"
    assert [(c["id"], c["reason"]) for c in verdict.candidates] == [
        ("C9", "same_company_key"), ("L2", "similar_company_name_same_city")]
    assert 90 <= verdict.candidates[1]["score"] < 100


def test_no_candidates_is_a_new_lead():
    assert dedup.possible("acme", [], [(Record("lead", "L"), "zenith")], threshold=90).verdict == "new"

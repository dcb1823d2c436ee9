"""Scoring, assignment and dedup verdicts: the pure rules of DOMAIN §1."""
from collections import Counter

from lead_intake.assignment import choice as assignment
from lead_intake.dedup import verdicts as dedup
from lead_intake.intake import scoring
from crm_common.kernel.company_names import parse
from lead_intake.dedup.verdicts import Record


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


def test_a_region_rule_matches_the_place_however_it_is_written():
    rules = [{"team_id": "north", "region": ["北京"]}, {"team_id": "south", "region": ["广东省"]}]
    for city in ("北京", "北京市", "Beijing", " 北京市 "):
        assert assignment.choose_team({"city": city}, rules, "default") == "north", city
    assert assignment.choose_team({"province": "广东", "city": "深圳"}, rules, "default") == "south"
    assert assignment.choose_team({"city": "上海市"}, rules, "default") == "default"


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


def company(record_id: str, name: str, city: str | None = "上海", kind: str = "lead") -> dedup.Company:
    parsed = parse(name)
    return dedup.Company(Record(kind, record_id), parsed.key, parsed.brand, parsed.sound, city)


def reasons(submitted: str, *stored: dedup.Company, city="上海", threshold=90) -> dict:
    verdict = dedup.possible(company("", submitted, city), list(stored), threshold)
    return {c["id"]: c["reason"] for c in verdict.candidates}


def test_possible_duplicates_by_each_rule_of_domain_1():
    assert reasons("华信电子科技有限公司", company("C1", "北京华信电子科技有限公司", city="北京", kind="customer"),
                   company("L1", "华信物流", city="上海"), company("L2", "华新电子"),
                   company("L3", "Huaxin Electronics Co., Ltd."), company("L4", "华信电子科技信息")) == {
        "C1": "same_company_key", "L1": "same_brand_same_city", "L2": "homophone_brand_same_city",
        "L3": "latin_brand_same_city", "L4": "same_brand_same_city"}


def test_a_fuzzy_match_at_the_threshold_is_explained_with_its_keys_and_scores():
    verdict = dedup.possible(company("", "Cloudmap Informaton Technology"),
                             [company("L9", "Cloudmap Information Technology")], 90)
    [candidate] = verdict.candidates
    assert candidate["reason"] == "similar_company_name_same_city" and 90 <= candidate["score"] < 100
    assert candidate["compared"]["company_key"] == ["cloudmapinformatontechnology", "cloudmapinformationtechnology"]
    assert candidate["compared"]["city"] == "上海" and candidate["scores"]["threshold"] == 90
    assert dedup.possible(company("", "Cloudmap Informaton Technology"),
                          [company("L9", "Cloudmap Information Technology")], 99).verdict == "new"


def test_shared_trade_words_different_sounds_and_other_cities_are_not_candidates():
    assert reasons("星河科技", company("L1", "云帆科技"), company("L2", "星海科技"), company("L3", "星河物流", city="北京"),
                   company("L4", "星海网络科技")) == {}
    assert reasons("华信电子", company("L5", "华信电子科技", city=None)) == {}
    assert reasons("华信电子", company("L6", "华信电子科技"), city=None) == {}


def test_no_candidates_is_a_new_lead():
    assert dedup.possible(company("", "Acme"), [company("L", "Zenith")], threshold=90).verdict == "new"
    assert dedup.possible(company("", "Acme"), [], threshold=90).verdict == "new"

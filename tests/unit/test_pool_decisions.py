"""The pool's pure decisions, without servers: who may claim or be given a customer, which pool takes a
department's customers, when a warning goes out, and what a rule preview forecasts."""
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.auth import Principal
from crm_common.kernel.refusals import Conflict, Forbidden, Invalid
from pool.claims.eligibility import may_assign, may_claim, may_give
from pool.pools import rules, sources
from pool.reclaim import preview, schedule

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)  # 16:00 in Beijing
RULES = rules.complete(None)  # 3 claims a day, 200 held, 7 days' cooldown, no wait after a reclaim
POOL = {"_id": "vip", "member_user_ids": ["rep-1", "old-rep"], "admin_user_ids": ["pool-admin"]}
REP = {"_id": "rep-1", "role": "rep", "department_path": ["sales"], "active": True}
WAITING = {"_id": "C1", "status": "in_pool", "pool_id": "vip", "previous_owner_id": "old-rep",
           "reclaimed_at": NOW - timedelta(days=1)}


def claim(**facts):
    return may_claim(**{"pool": POOL, "user": REP, "entry": WAITING, "rules": RULES, "claims_today": 0,
                        "held": 0, "now": NOW, **facts})


def answer(refusal):
    """What the rep is told: (status, reason, retry_at)."""
    return refusal.status, refusal.reason, refusal.extra.get("retry_at")


def test_a_member_under_every_limit_may_claim_a_customer_waiting_in_the_pool():
    assert claim() is None
    assert claim(claims_today=2, held=199) is None  # the third claim of the day, the 200th customer


@pytest.mark.parametrize("user", [None, {**REP, "_id": "stranger"}, {**REP, "active": False}])
def test_only_an_active_member_may_claim(user):
    refusal = claim(user=user)
    assert isinstance(refusal, Conflict) and answer(refusal) == (409, "not_member", None)
    assert refusal.detail == "you are not a member of this pool, or not an active user"


@pytest.mark.parametrize("entry", [None, {**WAITING, "status": "owned", "owner_id": "rep-2"},
                                   {**WAITING, "pool_id": "default"}, {**WAITING, "status": "deleted"}])
def test_a_customer_not_waiting_in_this_pool_is_taken(entry):
    refusal = claim(entry=entry)
    assert answer(refusal) == (409, "taken", None)
    assert refusal.detail == "the customer is not in this pool (someone else has it)"


def test_the_previous_owner_waits_out_the_cooldown_and_is_told_until_when():
    old_rep = {**REP, "_id": "old-rep"}
    refusal = claim(user=old_rep)
    assert answer(refusal) == (409, "cooldown", (WAITING["reclaimed_at"] + timedelta(days=7)).isoformat())
    assert claim(user=old_rep, now=WAITING["reclaimed_at"] + timedelta(days=7)) is None
    assert claim(user=old_rep, rules={**RULES, "previous_owner_cooldown_days": 0.5}) is None


def test_a_freshly_reclaimed_customer_waits_for_everyone():
    wait = {**RULES, "reclaimed_claim_wait_hours": 2}
    fresh = {**WAITING, "reclaimed_at": NOW - timedelta(minutes=30)}
    refusal = claim(entry=fresh, rules=wait)
    assert answer(refusal) == (409, "waiting", (fresh["reclaimed_at"] + timedelta(hours=2)).isoformat())
    assert claim(entry=fresh, rules=wait, now=NOW + timedelta(hours=2)) is None


def test_the_daily_limit_counts_a_china_standard_time_day_and_says_when_it_resets():
    refusal = claim(claims_today=3)
    midnight_in_beijing = datetime(2026, 6, 1, 16, 0, tzinfo=timezone.utc)
    assert answer(refusal) == (409, "daily_limit", midnight_in_beijing.isoformat())
    assert refusal.detail == "you have made 3 claims today, the limit"
    assert claim(claims_today=3, rules={**RULES, "daily_claim_limit": 4}) is None


def test_the_holding_limit_is_the_pools_or_the_reps_own_if_lower():
    refusal = claim(held=200)
    assert answer(refusal) == (409, "holding_limit", None)
    assert refusal.detail == "the rep already holds 200 customers, the limit"
    assert answer(claim(held=1, user={**REP, "holding_limit": 1}))[1] == "holding_limit"
    assert answer(claim(held=5, rules={**RULES, "holding_limit": 5}))[1] == "holding_limit"
    assert claim(held=5, user={**REP, "holding_limit": 500}) is None  # the pool's 200 still applies


def test_the_refusals_are_checked_in_order_and_the_first_that_fails_is_told():
    old_rep = {**REP, "_id": "old-rep"}
    everything_wrong = {"entry": {**WAITING, "reclaimed_at": NOW}, "rules": {**RULES, "reclaimed_claim_wait_hours": 2},
                        "claims_today": 3, "held": 200}
    assert answer(claim(user=None, **everything_wrong))[1] == "not_member"
    assert answer(claim(user=old_rep, **{**everything_wrong, "entry": None}))[1] == "taken"
    assert answer(claim(user=old_rep, **everything_wrong))[1] == "cooldown"
    assert answer(claim(**everything_wrong))[1] == "waiting"
    assert answer(claim(**{**everything_wrong, "entry": WAITING}))[1] == "daily_limit"
    assert answer(claim(held=200, claims_today=2))[1] == "holding_limit"


ADMIN = Principal("admin-1", "admin", "admin")
BOSS = Principal("boss", "boss", "manager", ["sales"])
MONA = Principal("mona", "mona", "manager", ["sales", "finance"])
POOL_ADMIN = Principal("pool-admin", "pool-admin", "rep", ["sales"])
FIONA = {"_id": "fiona", "role": "rep", "department_path": ["sales", "finance"], "active": True}
OPEN_POOL = {"_id": "default", "open_to_all": True, "admin_user_ids": []}


def user_of(principal):
    return {"_id": principal.user_id, "role": principal.role, "department_path": principal.department_path,
            "active": True}


def test_a_rep_assigns_from_no_pool_they_do_not_administer():
    refusal = may_assign(pool=OPEN_POOL, principal=Principal("rep-1", "rep-1", "rep", ["sales"]), assignee=FIONA,
                         assigner=REP)
    assert isinstance(refusal, Forbidden) and refusal.status == 403
    assert refusal.detail == "only a manager, an admin or this pool's admins assign from it"


@pytest.mark.parametrize("assignee", [None, {**FIONA, "active": False}])
def test_only_an_active_user_is_given_a_customer(assignee):
    refusal = may_assign(pool=OPEN_POOL, principal=ADMIN, assignee=assignee, assigner=None)
    assert isinstance(refusal, Invalid) and refusal.status == 400
    assert (refusal.detail, refusal.errors) == ("no active user with this id",
                                                [{"field": "user_id", "message": "unknown or inactive"}])


def test_a_manager_gives_to_their_department_or_one_below_and_a_pool_admin_to_its_members():
    carol = {**FIONA, "_id": "carol", "department_path": ["sales"]}
    assert may_assign(pool=OPEN_POOL, principal=ADMIN, assignee=carol, assigner=None) is None
    assert may_assign(pool=OPEN_POOL, principal=BOSS, assignee=FIONA, assigner=user_of(BOSS)) is None
    above = may_assign(pool=OPEN_POOL, principal=MONA, assignee=carol, assigner=user_of(MONA))
    assert isinstance(above, Forbidden)  # carol is in Sales, above mona's Finance
    outsider = may_assign(pool=POOL, principal=BOSS, assignee=FIONA, assigner=user_of(BOSS))
    assert isinstance(outsider, Forbidden)  # boss is no member of the VIP pool
    assert may_assign(pool=POOL, principal=POOL_ADMIN, assignee=REP, assigner=None) is None
    assert isinstance(may_assign(pool=POOL, principal=POOL_ADMIN, assignee=FIONA, assigner=None), Forbidden)


def test_an_assignment_needs_the_customer_still_waiting_and_room_under_the_assignees_limit():
    assert may_give(entry=WAITING, held=0, assignee=FIONA, rules=RULES) is None
    assert answer(may_give(entry=None, held=0, assignee=FIONA, rules=RULES)) == (409, "taken", None)
    limited = may_give(entry=WAITING, held=2, assignee={**FIONA, "holding_limit": 2}, rules=RULES)
    assert answer(limited) == (409, "holding_limit", None)


def test_a_departments_customers_go_to_the_pool_naming_its_nearest_department():
    named = [{"_id": "p-sales", "source_department_ids": ["sales"]},
             {"_id": "p-fin", "source_department_ids": ["finance"]},
             {"_id": "a-fin", "source_department_ids": ["finance", "other"]}]
    assert sources.nearest_pool(["sales", "finance"], named) == "a-fin"  # the nearest; the lower id on a tie
    assert sources.nearest_pool(["sales", "east"], named) == "p-sales"
    assert sources.nearest_pool(["north"], named) is None and sources.nearest_pool([], []) is None


OWNED = {"status": "owned", "owner_id": "rep-1", "owned_since": NOW, "level": "B", "lifecycle": "potential",
         "last_followup_at": None, "first_contact_due_at": None}


def test_the_most_urgent_warning_that_came_due_is_sent_and_the_earlier_ones_count_as_sent():
    the_rules = rules.complete({"warn_days_before": [3, 1]})
    planned = schedule.schedule(OWNED, the_rules)  # due on day 7: warnings on days 4 and 6
    assert schedule.warning_to_send(OWNED, planned, NOW + timedelta(days=3)) == ([], None)
    assert schedule.warning_to_send(OWNED, planned, NOW + timedelta(days=4.5)) == ([3], 3)
    assert schedule.warning_to_send(OWNED, planned, NOW + timedelta(days=6.5)) == ([1, 3], 1)
    assert not schedule.is_due(planned, NOW + timedelta(days=6.9))
    assert schedule.is_due(planned, NOW + timedelta(days=7))
    assert not schedule.is_due(schedule.schedule({**OWNED, "level": "A"}, rules.complete({"levels": ["B"]})),
                               NOW + timedelta(days=400))


def test_a_preview_forecasts_due_now_later_and_exempt_per_rep():
    owned = [{**OWNED, "_id": "C1", "owned_since": NOW - timedelta(days=6)},
             {**OWNED, "_id": "C2", "owner_id": "rep-2", "owned_since": NOW - timedelta(days=1)},
             {**OWNED, "_id": "C3", "owned_since": NOW - timedelta(days=4)},
             {**OWNED, "_id": "S1", "lifecycle": "signed"}]
    told = preview.forecast(owned, rules.complete({"no_followup_days": 5}), NOW)
    assert [(r["customer_id"], r["rule"]) for r in told["would_reclaim"]] == [("C1", "no_followup")]
    assert [r["customer_id"] for r in told["later"]] == ["C3", "C2"]  # earliest first
    assert (told["exempt"], told["would_reclaim_count"], told["later_count"]) == (1, 1, 2)
    assert told["per_rep"] == [{"user_id": "rep-1", "would_reclaim": 1, "later": 1},
                               {"user_id": "rep-2", "would_reclaim": 0, "later": 1}]

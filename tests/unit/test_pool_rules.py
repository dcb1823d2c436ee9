"""The pool's pure decisions: when a customer falls due, by which rule, and who may claim it now."""
from datetime import datetime, timedelta, timezone

from pool.claims import eligibility
from pool.pools import membership, rules
from pool.reclaim import schedule

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def entry(**fields):
    return {"status": "owned", "owner_id": "rep-1", "owned_since": T0, "level": "B", "lifecycle": "potential",
            "last_followup_at": None, "first_contact_due_at": None, **fields}


def test_the_earliest_rule_fires_and_warnings_come_before_it():
    planned = schedule.schedule(entry(), rules.complete({"warn_days_before": [3, 1]}))
    assert (planned.rule, planned.reclaim_due_at) == ("no_followup", T0 + timedelta(days=7))
    assert [days for days, _ in planned.warnings] == [3, 1] and planned.next_due_at == T0 + timedelta(days=4)
    claimed = schedule.schedule(entry(first_contact_due_at=T0 + timedelta(hours=48)), rules.complete(None))
    assert (claimed.rule, claimed.warnings) == ("no_first_contact", ())  # a warning before the claim is no use
    worked = schedule.schedule(entry(last_followup_at=T0 + timedelta(days=25)), rules.complete(None))
    assert (worked.rule, worked.reclaim_due_at) == ("no_deal", T0 + timedelta(days=30))


def test_sent_warnings_are_not_planned_again_for_the_same_due_time_only():
    due = T0 + timedelta(days=7)
    sent = schedule.schedule(entry(warned=[2], warned_due_at=due), rules.complete(None))
    assert sent.warnings == () and sent.next_due_at == due
    moved = schedule.schedule(entry(warned=[2], warned_due_at=due - timedelta(days=1)), rules.complete(None))
    assert [days for days, _ in moved.warnings] == [2]


def test_exempt_levels_and_signed_customers_have_no_due_time():
    assert schedule.schedule(entry(level="A"), rules.complete({"levels": ["B", "C"]})).next_due_at is None
    assert schedule.schedule(entry(lifecycle="signed"), rules.complete(None)).next_due_at is None
    kept = schedule.schedule(entry(lifecycle="signed", last_followup_at=T0 + timedelta(days=25)),
                             rules.complete({"exempt_signed": False}))
    assert kept.rule == "no_deal"  # not spared: a customer who bought before still needs a deal since the claim


def test_a_won_deal_restarts_the_no_deal_clock_and_an_exempt_stage_stops_it():
    worked = dict(last_followup_at=T0 + timedelta(days=25))
    won = schedule.schedule(entry(**worked, last_won_at=T0 + timedelta(days=20)), rules.complete(None))
    assert (won.rule, won.reclaim_due_at) == ("no_followup", T0 + timedelta(days=32))
    negotiating = entry(**worked, open_stages=["negotiation"])
    assert schedule.schedule(negotiating, rules.complete(None)).rule == "no_deal"  # default: no stage is exempt
    spared = schedule.schedule(negotiating, rules.complete({"exempt_stages": ["negotiation", "proposal"]}))
    assert (spared.rule, spared.reclaim_due_at) == ("no_followup", T0 + timedelta(days=32))


def test_claim_refusals_name_the_reason_and_when_to_try_again():
    the_rules = rules.complete({"reclaimed_claim_wait_hours": 2})
    pooled = {"status": "in_pool", "previous_owner_id": "rep-1", "reclaimed_at": T0}
    assert eligibility.claim_refusal(pooled, user_id="rep-1", now=T0 + timedelta(days=1), rules=the_rules) == (
        "cooldown", T0 + timedelta(days=7))
    assert eligibility.claim_refusal(pooled, user_id="rep-2", now=T0 + timedelta(hours=1), rules=the_rules) == (
        "waiting", T0 + timedelta(hours=2))
    assert eligibility.claim_refusal(pooled, user_id="rep-2", now=T0 + timedelta(hours=3), rules=the_rules) is None
    assert eligibility.claim_refusal({"status": "owned"}, user_id="rep-2", now=T0, rules=the_rules) == ("taken", None)


def test_membership_by_user_department_or_an_open_pool():
    pool = {"member_user_ids": ["u1"], "member_department_ids": ["fin"], "admin_user_ids": ["u9"]}
    user = {"_id": "u2", "role": "rep", "department_path": ["sales", "fin"], "active": True}
    assert membership.is_member(pool, user) and membership.is_member(pool, {**user, "_id": "u1", "department_path": []})
    assert not membership.is_member(pool, {**user, "department_path": ["sales"]})
    assert not membership.is_member(pool, {**user, "active": False}) and not membership.is_member(pool, None)
    assert membership.is_member({"open_to_all": True}, {**user, "department_path": []})


def test_a_day_for_the_daily_limit_is_a_china_standard_time_day():
    assert eligibility.day_start(datetime(2026, 6, 1, 15, 59, tzinfo=timezone.utc)) == datetime(2026, 5, 31, 16, 0,
                                                                                          tzinfo=timezone.utc)
    assert eligibility.day_start(datetime(2026, 6, 1, 16, 0, tzinfo=timezone.utc)) == datetime(2026, 6, 1, 16, 0,
                                                                                         tzinfo=timezone.utc)

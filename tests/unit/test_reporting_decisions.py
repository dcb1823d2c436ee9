"""The reports' and the workbench's rules as pure functions: tally rows and records in, figures out,
no servers (DOMAIN §5)."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from crm_common.auth import Principal
from crm_common.kernel.refusals import Forbidden, Invalid
from reporting.model import contributions, lead, movement
from reporting.model.days import DEFAULT_TIMEZONE
from reporting.reports.channels import channels
from reporting.reports.forecast import forecast
from reporting.reports.funnel import funnel
from reporting.reports.going_cold import BUCKETS, going_cold
from reporting.reports.query import view_from
from reporting.reports.reps import reps, weekly_period
from reporting.reports.rfm import rfm
from reporting.workbench import rules

NOW = datetime(2026, 6, 30, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
NEW_YORK = ZoneInfo("America/New_York")
ADMIN = Principal("u-admin", "admin", "admin")


def row(*key, n=1, amount=0, secs=0, **dims) -> dict:
    return {"k": list(key), "n": n, "amount": amount, "secs": secs, **dims}


def stages_of(body: dict) -> dict:
    return {s["stage"]: s for s in body["stages"]}


# -- funnel -----------------------------------------------------------------------------------------

def test_the_funnel_converts_entries_that_advanced_and_compares_with_domains_default_rates():
    body = funnel(count=[row("lead_acquired", n=2), row("proposal")],
                  entered=[row("lead_acquired", n=4), row("proposal", n=2), row("renewal_talks")],
                  advanced=[row("lead_acquired", n=3), row("proposal")],
                  stay=[row("lead_acquired", n=2, secs=3 * 86400)], pipelines=[])
    stages = stages_of(body)
    assert list(stages) == ["lead_acquired", "initial_contact", "needs_confirmed", "proposal", "negotiation",
                            "contract_signed", "lost", "renewal_talks"]  # DOMAIN's order, then stages counted
    first = stages["lead_acquired"]
    assert (first["count"], first["entered"], first["advanced"], first["conversion_rate"]) == (2, 4, 3, 0.75)
    assert (first["expected_rate"], first["expected_days"], first["avg_days"]) == (0.8, [1, 3], 1.5)
    assert (stages["proposal"]["conversion_rate"], stages["proposal"]["expected_rate"]) == (0.5, 0.35)
    assert stages["negotiation"]["conversion_rate"] is None  # nothing entered: no rate, not 0
    assert (stages["renewal_talks"]["expected_rate"], stages["renewal_talks"]["expected_days"]) == (None, None)


def test_the_funnel_takes_the_expectations_the_admins_set_on_the_pipelines():
    default = {"_id": "default", "stages": [{"key": "lead_acquired", "expected_days": None, "expected_rate": None},
                                            {"key": "needs_confirmed", "expected_days": [5, 9],
                                             "expected_rate": 0.5}]}
    renewals = {"_id": "renewals", "stages": [{"key": "needs_confirmed", "expected_days": [1, 2], "expected_rate": 0.9},
                                              {"key": "renewal_talks", "expected_days": [10, 20],
                                               "expected_rate": 0.7}]}
    stages = stages_of(funnel([], [], [], [], [renewals, default]))
    assert list(stages) == ["lead_acquired", "needs_confirmed", "renewal_talks"]  # default pipeline first
    assert (stages["needs_confirmed"]["expected_rate"], stages["needs_confirmed"]["expected_days"]) == (0.5, [5, 9])
    assert stages["renewal_talks"]["expected_rate"] == 0.7
    assert stages["lead_acquired"]["expected_rate"] is None  # the admins cleared DOMAIN's 0.80


# -- forecast ---------------------------------------------------------------------------------------

def test_the_forecast_weighs_each_deal_by_its_stages_win_chance_and_counts_slippage():
    # DOMAIN §2: contract signed's expected rate (0.20) over the stage's own
    found = [row("2026-08", "needs_confirmed", amount=12_000_000),   # 120000.00 at 0.20/0.45
             row("2026-08", "proposal", n=2, amount=1_000_050),      # 10000.50 at 0.20/0.35
             row("2026-07", "negotiation", "default", amount=400_000)]  # 4000.00 at 0.20/0.25 = 0.8, not 0.25
    slips = [row(17), row(3, n=2)]
    body = forecast(found, slips, [])
    assert body["months"] == [
        {"month": "2026-07", "count": 1, "expected_amount": "4000.00", "weighted_amount": "3200.00"},
        {"month": "2026-08", "count": 3, "expected_amount": "130000.50", "weighted_amount": "59047.90"}]
    assert body["slippage"] == {"count": 3, "total_days": 23, "avg_days": 7.67, "max_days": 17}
    assert [m["month"] for m in forecast(found, [], [], start="2026-08-01")["months"]] == ["2026-08"]
    assert forecast([], [], [])["slippage"] == {"count": 0, "total_days": 0, "avg_days": None, "max_days": None}


def test_a_win_probability_an_admin_set_on_a_stage_weighs_its_deals_instead():
    stages = [{"key": "lead_acquired", "expected_rate": 0.8, "closes": None, "win_probability": None},
              {"key": "negotiation", "expected_rate": 0.25, "closes": None, "win_probability": 0.6},
              {"key": "signed", "expected_rate": 0.4, "closes": "won", "win_probability": None}]
    found = [row("2026-07", "negotiation", "p2", amount=100_000), row("2026-07", "lead_acquired", "p2", amount=100_000)]
    month = forecast(found, [], [{"_id": "p2", "stages": stages}])["months"][0]
    assert month["weighted_amount"] == "1100.00"  # 600.00 at 0.6; 500.00 at 0.4/0.8, the pipeline's won stage


# -- RFM --------------------------------------------------------------------------------------------

def customer(cid, *payments, channel="web"):
    """A paying customer's record: payments as (day, fen)."""
    return {"_id": cid, "name": cid, "owner_id": "rep-a", "lead": {"channel": channel},
            "payments": {f"{cid}-{i}": {"on": on, "fen": fen} for i, (on, fen) in enumerate(payments)}}


PAYERS = [customer("A", *[("2026-06-29", 10_000)] * 3),                        # paid yesterday, 3 times
          customer("B", ("2026-06-25", 20_000)),
          customer("C", ("2026-06-01", 5_000), channel="expo"),
          customer("D", ("2026-04-20", 50_000), ("2026-05-01", 50_000)),
          customer("E", *[("2026-01-01", 1_000)] * 5, ("2026-07-05", 9_999))]   # the July payment is after `to`


def test_rfm_scores_recency_by_days_and_few_payers_by_thresholds():
    counts = {s["segment"]: s["count"] for s in rfm(PAYERS, date(2026, 6, 30))["segments"]}
    assert {s: n for s, n in counts.items() if n} == {"potential_loyalist": 2, "new": 2, "at_risk": 1}
    assert len(counts) == 11  # every segment is listed, with 0 where none fall
    [d, a] = sorted(rfm(PAYERS, date(2026, 6, 30), only="potential_loyalist")["items"], key=lambda c: c["r"])
    assert (d["customer_id"], d["recency_days"], d["frequency"], d["monetary"], d["r"], d["f"], d["m"]) == (
        "D", 60, 2, "1000.00", 4, 2, 1)  # 60 days is within the second threshold
    assert (a["customer_id"], a["r"], a["f"]) == ("A", 5, 3)
    [e] = rfm(PAYERS, date(2026, 6, 30), only="at_risk")["items"]
    assert (e["recency_days"], e["frequency"], e["monetary"], e["r"], e["f"]) == (180, 5, "50.00", 2, 4)


def test_a_customer_who_paid_today_is_never_lost_whoever_else_paid():
    alone = rfm([customer("T", ("2026-06-30", 100))], date(2026, 6, 30))["segments"]
    assert {s["segment"]: s["count"] for s in alone if s["count"]} == {"new": 1}
    with_others = rfm(PAYERS + [customer("T", ("2026-06-30", 100))], date(2026, 6, 30), only="new")["items"]
    assert "T" in [c["customer_id"] for c in with_others]
    for c in rfm([customer("T", ("2026-06-30", 100))], date(2026, 6, 30), only="new")["items"]:
        assert c["r"] == 5


def test_from_twenty_payers_frequency_and_money_are_scored_by_quintile():
    many = [customer(f"P{i:02}", *[("2026-06-29", 1_000 * (i + 1))] * (i + 1)) for i in range(20)]
    scored = {c["customer_id"]: c for c in rfm(many, date(2026, 6, 30), only="champions")["items"]}
    assert sorted(scored) == [f"P{i:02}" for i in range(12, 20)]  # the top two fifths by payments
    assert {scored["P19"]["f"], scored["P19"]["m"]} == {5}
    least = rfm(many, date(2026, 6, 30), only="new")["items"]
    assert [(c["customer_id"], c["f"], c["m"]) for c in least] == [(f"P0{i}", 1, 1) for i in range(4)]


def test_an_admin_s_thresholds_move_the_scores():
    strict = {"recency_days": [1, 2, 3, 4]}
    [d] = [c for c in rfm(PAYERS, date(2026, 6, 30), only="hibernating", thresholds=strict)["items"]
           if c["customer_id"] == "D"]
    assert d["r"] == 1 and d["f"] == 2
    generous = {"frequency_at_least": [1, 2, 3, 4]}
    [b] = rfm([customer("B", ("2026-06-25", 20_000))], date(2026, 6, 30), only="potential_loyalist",
              thresholds=generous)["items"]
    assert (b["r"], b["f"]) == (5, 2)


def test_rfm_counts_only_the_payments_of_the_period_and_the_source_channel_asked_for():
    june = rfm(PAYERS, date(2026, 6, 30), start="2026-06-01")["segments"]
    assert sum(s["count"] for s in june) == 3  # D and E paid nothing in June
    expo = rfm(PAYERS, date(2026, 6, 30), channel="expo")["segments"]
    assert sum(s["count"] for s in expo) == 1  # C, whose source lead came through the expo


# -- going cold, per rep, channels ------------------------------------------------------------------

def test_going_cold_buckets_customers_by_local_days_since_their_last_follow_up():
    cold = [row(day="2026-06-23", owner_id="rep-a"), row(day="2026-06-22", owner_id="rep-a"),
            row(day="2025-12-31", n=2, owner_id="rep-b"), row(day="2026-06-30", owner_id=None)]
    body = going_cold(cold, [row(n=3, owner_id="rep-b")], today=date(2026, 6, 30),
                      names={"rep-a": "Alice", "rep-b": "Bob"})
    assert body["buckets"] == list(BUCKETS)
    assert body["rows"] == [{"user_id": "rep-a", "username": "Alice", "counts": [1, 1, 0, 0, 0, 0, 0]},
                            {"user_id": "rep-b", "username": "Bob", "counts": [0, 0, 0, 0, 0, 2, 3]}]


def test_per_rep_overdue_reminders_are_those_due_before_today_and_the_weekly_rate_is_over_four_weeks():
    view = weekly_period(view_from(ADMIN, NOW, {"to": "2026-07-10"}))
    assert (view.start, view.end, view.period_days) == ("2026-06-13", "2026-07-10", 28)
    found = {kind: [] for kind in ("new", "won", "fu", "stage", "delivery", "stay")}
    found["due"] = [row(day="2026-06-29", owner_id="rep-a"), row(day="2026-06-30", owner_id="rep-a")]
    found["won"] = [row(amount=5_000_010, owner_id="rep-a")]
    found["stay"] = [row("proposal", n=2, secs=86400 * 7, owner_id="rep-a")]
    [a] = reps(found, [row(n=2, owner_id="rep-a")], today=date(2026, 6, 30), weekly_days=28,
               names={"rep-a": "Alice"})["items"]
    assert (a["overdue_reminders"], a["won"], a["won_amount"], a["followups_per_week"]) == (1, 1, "50000.10", 0.5)
    assert a["avg_days"] == {"proposal": 3.5}


def test_channels_convert_leads_and_file_duplicates_under_their_campaign():
    found = {"lead": [row(n=4, channel="web", campaign="spring")], "converted": [row(channel="web", campaign="spring")],
             "dup": [row(channel="web", campaign="spring"), row(channel="expo", campaign=None)],
             "possible": [], "won": [row(amount=100_050, channel="web", campaign="spring")]}
    items = {(i["channel"], i["campaign"]): i for i in channels(found)["items"]}
    web = items[("web", "spring")]
    assert (web["leads"], web["converted"], web["duplicates"], web["conversion_rate"], web["won_amount"]) == (
        4, 1, 1, 0.25, "1000.50")
    assert (items[("expo", None)]["duplicates"], items[("expo", None)]["conversion_rate"]) == (1, None)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(Invalid) as refused:
        view_from(ADMIN, NOW, {"from": "2026-06-10", "to": "2026-06-01"})
    assert refused.value.errors == [{"field": "from", "message": "on or before to"}]
    with pytest.raises(Invalid, match="to is not a date"):
        view_from(ADMIN, NOW, {"to": "June"})


# -- the workbench ----------------------------------------------------------------------------------

def test_an_overdue_entry_says_since_when_and_counts_days_in_the_callers_calendar():
    doc = {"_id": "C1", "name": "Acme", "stage": "needs_confirmed",
           "next_contact_at": datetime(2026, 6, 20, 10, tzinfo=timezone.utc),
           "last_followup_at": datetime(2026, 6, 29, 23, 30, tzinfo=timezone.utc),
           "stage_since": datetime(2026, 6, 9, 10, tzinfo=timezone.utc)}
    shanghai = rules.entry("overdue", doc, NOW, rules.today_bounds(NOW, DEFAULT_TIMEZONE)[0], DEFAULT_TIMEZONE)
    assert (shanghai["next_step"], shanghai["suggested_next_step"]) == (
        "contact_now", "Overdue since 2026-06-20: contact now")
    assert shanghai["days_since_followup"] == 0  # 07:30 today in Shanghai
    assert rules.entry("overdue", doc, NOW, date(2026, 6, 30), NEW_YORK)["days_since_followup"] == 1  # 19:30 yesterday
    stalled = rules.entry("stalled_high_intent", doc, NOW, date(2026, 6, 30), DEFAULT_TIMEZONE)
    assert (stalled["days_in_stage"], stalled["next_step"]) == (20, "send_proposal")


def test_the_long_lists_are_read_only_up_to_the_day_after_the_first_days_that_hold_more_than_the_limit():
    counts = {"2026-06-01": 2, "2026-06-03": 2, "2026-06-05": 5, "2026-06-02": 0}
    until = datetime(2026, 6, 30, tzinfo=timezone.utc)
    assert rules.reading_until(counts, 3, until) == datetime(2026, 6, 5, tzinfo=DEFAULT_TIMEZONE)
    assert rules.reading_until(counts, 9, until) == until  # 9 entries in all: read everything
    early = datetime(2026, 6, 2, tzinfo=timezone.utc)
    assert rules.reading_until(counts, 3, early) == early


def test_a_manager_opens_the_workbench_of_reps_in_their_department_and_no_one_else_does():
    rep = {"_id": "rep-b", "department_path": ["d-root", "d-west"]}
    rules.check_scope(Principal("m-west", "m", "manager", ["d-root", "d-west"]), rep)
    rules.check_scope(Principal("m-root", "m", "manager", ["d-root"]), rep)
    rules.check_scope(ADMIN, rep)
    for outsider in (Principal("m-east", "m", "manager", ["d-root", "d-east"]), Principal("rep-a", "a", "rep")):
        with pytest.raises(Forbidden, match="that rep is outside your scope"):
            rules.check_scope(outsider, rep)


# -- the read models' attribution -------------------------------------------------------------------

def pool_event(name, **data):
    return {"id": "e-" + name, "type": f"crm.pool.{name}", "time": "2026-06-16T10:00:00Z", "data": data}


def test_a_pool_movement_is_the_receiving_reps_or_the_previous_owners_and_requests_are_no_moves():
    claimed = movement.of_event(pool_event("customer_claimed", customer_id="C8", owner_id="rep-a", kind="assign",
                                           pool_id="p1", movement_id="M8", claimed_at="2026-06-16T10:00:00Z"))
    assert (claimed[0]["_id"], claimed[0]["kind"], claimed[1]) == ("move:M8", "assigned", "rep-a")
    reclaimed = movement.of_event(pool_event("customer_reclaimed", customer_id="C2", previous_owner_id="rep-a",
                                             reclaimed_at="2026-06-14T10:00:00Z"))
    assert (reclaimed[0]["_id"], reclaimed[0]["at"], reclaimed[1]) == (
        "move:e-customer_reclaimed", "2026-06-14T10:00:00Z", "rep-a")
    assert movement.of_event(pool_event("customer_transferred", customer_id="C2", pool_id="p2"))[1] is None
    assert movement.of_event(pool_event("ownership_requested", customer_id="C2")) is None
    assert movement.of_event(pool_event("reclaim_warning", customer_id="C2")) is None


def test_a_lead_is_filed_under_its_latest_owner_whatever_order_the_events_come_in():
    doc = lead.new({"lead_id": "L1"})
    assert lead.apply(doc, "converted", {"owner_id": "rep-b", "converted_at": "2026-06-02T10:00:00Z"}) == "rep-b"
    doc["owner_id"] = "rep-b"
    assert lead.apply(doc, "assigned", {"owner_id": "rep-a", "assigned_at": "2026-06-01T10:00:00Z"}) == "rep-b"
    assert doc["converted_at"] == "2026-06-02T10:00:00Z"


def test_a_leads_report_day_is_its_local_day_in_the_report_time_zone():
    received = {"received_at": "2026-06-01T20:00:00+00:00"}  # 04:00 on June 2nd in Shanghai
    assert contributions.of_lead(received) == {("lead", "2026-06-02"): [1, 0, 0]}
    assert contributions.of_lead(received, NEW_YORK) == {("lead", "2026-06-01"): [1, 0, 0]}

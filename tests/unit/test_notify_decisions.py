"""notify's pure decisions, without servers: what reminders a customer has planned (DOMAIN §4 cadence,
next contact, renewals, birthdays, anniversaries), what a fired one brings next (the escalation steps),
who hears of it, what an event raises at once, when quiet hours let a message go, and when a failed
delivery is tried again."""
import copy
from datetime import date, datetime, timedelta, timezone

from notify.deliveries.rules import retry_after
from notify.preferences.rules import after_quiet_hours, channels_for, send_at
from notify.reminders import raised, rules
from notify.reminders.calendar import at_local, occurrences

UTC = timezone.utc
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DAY = timedelta(days=1)


def settings(**changes):
    s = copy.deepcopy(rules.DEFAULTS)
    s.update(changes)
    return s


def customer(level="A", since=NOW, **extra):
    return {"_id": "C1", "name": "Acme", "owner_id": "rep-1", "level": level, "stage": "new",
            "owner_since": since, **extra}


def planned(c, now=NOW, s=None, contracts=()):
    return rules.planned(s or settings(), now, c, list(contracts))


# --- cadence -----------------------------------------------------------------------------------------

def test_the_first_cadence_reminder_falls_due_3_7_or_30_days_after_the_owner_started_by_level():
    for level, days in (("A", 3), ("B", 7), ("C", 30)):
        [reminder] = planned(customer(level))
        assert (reminder["kind"], reminder["due_at"], reminder["fire_at"]) == ("cadence", NOW + days * DAY,
                                                                              NOW + days * DAY)
        assert reminder["user_id"] == "rep-1" and reminder["to"] == "owner"
    assert planned(customer(level=None)) == []  # no level, no cadence


def test_a_follow_up_starts_the_count_again_from_its_own_time():
    followed = NOW + 2 * DAY
    c = customer("A", last_followup={"followup_id": "F1", "at": followed, "summary": "Sent the quote"})
    [reminder] = planned(c, now=followed)
    assert reminder["due_at"] == followed + 3 * DAY
    assert reminder["customer"]["last_followup"] == {"summary": "Sent the quote", "at": followed}


def test_nobody_is_reminded_of_a_customer_in_the_pool_or_deleted():
    assert planned(customer(owner_id=None)) == []
    assert planned(customer(deleted=True)) == []


def test_the_cadence_repeats_every_n_days_while_nobody_follows_up():
    # at day 7 of an A customer: the first (day 3), the one of day 6 (within a day's grace: its pass may
    # not have run yet) and the next to come (day 9)
    due = [r["due_at"] for r in planned(customer("A"), now=NOW + 7 * DAY)]
    assert due == [NOW + 3 * DAY, NOW + 6 * DAY, NOW + 9 * DAY]
    first, *later = planned(customer("A"), now=NOW + 7 * DAY)
    assert first["_id"] == "cadence:C1:20260310T020000"  # the first is keyed by its start alone
    assert [r["_id"] for r in later] == ["cadence:C1:20260310T020000:20260316T020000",
                                         "cadence:C1:20260310T020000:20260319T020000"]


def test_a_changed_cadence_moves_the_first_reminder_under_the_same_key():
    [before] = planned(customer("A"))
    [after] = planned(customer("A"), s=settings(cadence_days={"A": 5, "B": 7, "C": 30}))
    assert after["_id"] == before["_id"] and after["due_at"] == NOW + 5 * DAY


def test_a_cadence_reminder_fired_late_plans_the_next_to_come_not_the_missed_ones():
    [first] = planned(customer("A"))
    [following] = rules.next_cadence(first, NOW + 30 * DAY)
    assert following["due_at"] == NOW + 33 * DAY and following["data"]["occurrence"] == 11
    [second] = rules.next_cadence(first, NOW + 3 * DAY)
    assert second["due_at"] == NOW + 6 * DAY


# --- next contact, renewals, birthdays, anniversaries ------------------------------------------------

def test_the_next_contact_agreed_at_the_last_follow_up_is_planned_while_still_to_come():
    agreed = NOW + 2 * DAY
    last = {"followup_id": "F7", "at": NOW, "summary": "Wants a demo", "next_contact_at": agreed,
            "next_plan": "show the demo"}
    reminders = planned(customer("C", last_followup=last))
    [contact] = [r for r in reminders if r["kind"] == "next_contact"]
    assert (contact["_id"], contact["due_at"], contact["data"]) == ("next_contact:F7", agreed,
                                                                    {"next_plan": "show the demo"})
    later = [r["kind"] for r in planned(customer("C", last_followup=last), now=agreed + 2 * DAY)]
    assert "next_contact" not in later  # passed more than a day ago


def test_a_renewal_comes_90_60_and_30_days_before_the_end_date_at_nine_in_shanghai():
    contract = {"_id": "K1", "customer_id": "C1", "title": "Annual licence", "amount": "120000.00",
                "end_date": "2026-06-18"}
    renewals = [r for r in planned(customer("C"), contracts=[contract]) if r["kind"] == "renewal"]
    assert [r["data"]["days_before"] for r in renewals] == [90, 60, 30]
    assert [r["fire_at"] for r in renewals] == [datetime(2026, 3, 20, 1, 0, tzinfo=UTC),
                                                datetime(2026, 4, 19, 1, 0, tzinfo=UTC),
                                                datetime(2026, 5, 19, 1, 0, tzinfo=UTC)]
    assert {r["due_at"] for r in renewals} == {datetime(2026, 6, 18, 1, 0, tzinfo=UTC)}
    assert renewals[0]["_id"] == "renewal:K1:90d" and renewals[0]["data"]["amount"] == "120000.00"
    # 50 days before the end, only the 30-day step is still to come
    late = [r for r in planned(customer("C"), now=datetime(2026, 4, 29, tzinfo=UTC), contracts=[contract])
            if r["kind"] == "renewal"]
    assert [r["data"]["days_before"] for r in late] == [30]


def test_a_birthday_and_a_founding_anniversary_are_planned_on_the_day_this_year_and_next():
    c = customer("C", founded_on="2010-03-15",
                 birthdays=[{"contact_id": "P1", "name": "Li Na", "birthday": "1985-03-12"}])
    by_kind = {}
    for r in planned(c):
        by_kind.setdefault(r["kind"], []).append(r)
    assert [r["data"]["date"] for r in by_kind["birthday"]] == ["2026-03-12", "2027-03-12"]
    assert by_kind["birthday"][0]["fire_at"] == at_local(date(2026, 3, 12), "09:00")
    assert by_kind["birthday"][0]["_id"] == "birthday:P1:2026"
    assert [(r["data"]["date"], r["data"]["years"]) for r in by_kind["anniversary"]] == [("2026-03-15", 16),
                                                                                        ("2027-03-15", 17)]


def test_a_birthday_that_fired_plans_next_years():
    c = customer("C", birthdays=[{"contact_id": "P1", "name": "Li Na", "birthday": "1985-03-12"}])
    [this_year, _] = [r for r in planned(c) if r["kind"] == "birthday"]
    [following] = rules.next_year(this_year, settings())
    assert following["_id"] == "birthday:P1:2027" and following["data"]["contact_name"] == "Li Na"


def test_a_lunar_birthday_follows_the_lunar_calendar_and_29_february_is_28_february_otherwise():
    # born on 正月初一 1990 (27 Jan 1990): in 2026 that is 17 Feb
    assert occurrences("1990-01-27", date(2026, 1, 10), "lunar")[0] == ("L2026", date(2026, 2, 17))
    assert occurrences("1990-01-27", date(2026, 1, 10))[0] == ("2026", date(2026, 1, 27))
    assert occurrences("2000-02-29", date(2026, 1, 1))[0] == ("2026", date(2026, 2, 28))
    assert occurrences("not a date", date(2026, 1, 1)) == []
    c = customer("C", birthdays=[{"contact_id": "P1", "name": "Wang", "birthday": "1990-01-27", "calendar": "lunar"}])
    [first, _] = [r for r in planned(c, now=datetime(2026, 1, 10, tzinfo=UTC)) if r["kind"] == "birthday"]
    assert first["data"]["date"] == "2026-02-17" and first["_id"] == "birthday:P1:L2026"


# --- escalation --------------------------------------------------------------------------------------

def test_a_neglected_cadence_goes_to_the_supervisor_a_day_after_it_was_due_once_per_series():
    [first] = planned(customer("A"))
    following, step = rules.follow_ons(first, settings(), NOW + 3 * DAY, reached=True)
    assert following["kind"] == "cadence" and following["due_at"] == NOW + 6 * DAY
    assert (step["_id"], step["kind"], step["to"]) == (f"overdue:{first['_id']}:1", "overdue", "supervisor")
    assert step["fire_at"] == NOW + 4 * DAY and step["data"] == {"origin": "cadence", "origin_key": first["_id"],
                                                                 "step": 1}
    assert [r["kind"] for r in rules.follow_ons(following, settings(), NOW + 6 * DAY, reached=True)] == ["cadence"]


def test_a_cadence_nobody_was_told_of_ends_its_series():
    [first] = planned(customer("A"))
    assert [r["kind"] for r in rules.follow_ons(first, settings(), NOW + 3 * DAY, reached=False)] == ["overdue"]


def test_the_supervisors_step_goes_on_to_the_manager_3_days_later_unless_the_second_step_is_off():
    [first] = planned(customer("A"))
    [_, step] = rules.follow_ons(first, settings(), NOW + 3 * DAY, reached=True)
    [manager] = rules.follow_ons(step, settings(), NOW + 4 * DAY, reached=True)
    assert (manager["_id"], manager["to"], manager["fire_at"]) == (f"overdue:{first['_id']}:2", "manager",
                                                                   NOW + 7 * DAY)
    assert rules.follow_ons(manager, settings(), NOW + 7 * DAY, reached=True) == []  # the last step
    assert rules.follow_ons(step, settings(escalation_second_step_days=None), NOW + 4 * DAY, reached=True) == []


def test_an_unanswered_lead_escalates_but_a_reclaim_warning_does_not():
    lead = raised.lead_assigned({"lead_id": "L1", "owner_id": "rep-1", "assigned_at": "2026-03-10T02:00:00Z"}, 24)
    lead = {**lead, "fire_at": NOW}
    [step] = rules.follow_ons(lead, settings(), NOW, reached=True)
    assert step["fire_at"] == NOW + 2 * DAY and step["lead_id"] == "L1"  # due after 24 h, then 1 day late
    warning = raised.reclaim_warning({"customer_id": "C1", "owner_id": "rep-1", "days_before": 3,
                                      "reclaim_due_at": "2026-03-13T02:00:00Z"})
    assert rules.follow_ons({**warning, "fire_at": NOW}, settings(), NOW, reached=True) == []


def test_pending_steps_move_with_the_settings_and_a_second_step_switched_off_is_dropped():
    step1 = {"kind": "overdue", "due_at": NOW, "data": {"step": 1}}
    step2 = {"kind": "overdue", "due_at": NOW, "data": {"step": 2}}
    assert rules.moved_escalation(step1, settings(overdue_after_days=2)) == NOW + 2 * DAY
    assert rules.moved_escalation(step2, settings(overdue_after_days=2)) == NOW + 5 * DAY
    assert rules.moved_escalation(step2, settings(escalation_second_step_days=None)) is None
    naive = {**step1, "due_at": NOW.replace(tzinfo=None)}  # as MongoDB gives it back
    assert rules.moved_escalation(naive, settings()) == NOW + DAY


# --- who hears of it ---------------------------------------------------------------------------------

def test_the_supervisor_and_the_managers_above_the_owner_hear_of_the_steps():
    users = {"rep-1": {"_id": "rep-1", "supervisor_id": "boss-1"}}
    managers = {"rep-1": ["mgr-1", "rep-1"]}
    assert rules.recipients({"to": "owner"}, "rep-1", users, managers) == ["rep-1"]
    assert rules.recipients({"to": "supervisor"}, "rep-1", users, managers) == ["boss-1"]
    assert rules.recipients({"to": "manager"}, "rep-1", users, managers) == ["mgr-1"]  # never to themself
    assert rules.recipients({"to": "supervisor"}, "rep-2", users, managers) == []  # nobody above
    assert rules.recipients({"to": "owner"}, None, users, managers) == []  # in the pool
    assert rules.recipients({"to": "user", "user_id": "rep-9"}, None, users, managers) == ["rep-9"]


def test_a_customers_reminder_follows_its_current_owner():
    reminder = {"customer_id": "C1", "user_id": "rep-1"}
    assert rules.owner_of(reminder, {"owner_id": "rep-2"}) == "rep-2"
    assert rules.owner_of(reminder, {"owner_id": "rep-2", "deleted": True}) is None
    assert rules.owner_of({"lead_id": "L1", "user_id": "rep-1"}, None) == "rep-1"


# --- raised at once by events ------------------------------------------------------------------------

def test_a_pool_claim_asks_for_first_contact_by_the_pools_deadline_or_else_the_setting():
    claim = {"customer_id": "C1", "owner_id": "rep-1", "claimed_at": "2026-03-10T02:00:00Z"}
    own = raised.pool_claimed({**claim, "first_contact_due_at": "2026-03-10T14:00:00Z"}, 48)
    assert (own["due_at"], own["data"]) == (NOW + timedelta(hours=12), {"hours": 12})
    fallback = raised.pool_claimed(claim, 48)
    assert (fallback["due_at"], fallback["data"], fallback["to"]) == (NOW + 2 * DAY, {"hours": 48}, "user")


def test_a_new_lead_is_due_a_response_within_the_configured_hours():
    reminder = raised.lead_assigned({"lead_id": "L1", "owner_id": "rep-1", "assigned_at": "2026-03-10T02:00:00Z"},
                                    24)
    assert reminder["due_at"] == NOW + DAY and reminder["_id"] == "lead-assigned:L1:rep-1:2026-03-10T02:00:00Z"


def test_only_a_high_value_customers_stage_change_reaches_the_supervisor():
    change = {"customer_id": "C1", "owner_id": "rep-1", "from": "new", "to": "negotiation",
              "changed_at": "2026-03-10T02:00:00Z"}
    assert raised.stage_change(change, "normal", ["large"]) is None
    told = raised.stage_change(change, "large", ["large"])
    assert told["to"] == "supervisor" and told["data"] == {"from_stage": "new", "to_stage": "negotiation"}


def test_a_resubmitted_lead_tells_its_owner_the_new_ways_to_reach_them():
    data = {"record_id": "C1", "record_kind": "customer", "owner_id": "rep-1", "channel": "wechat",
            "added_keys": ["email:wang@acme.cn", "company_contact:acme/wang"], "received_at": "2026-03-10T02:00:00Z"}
    told = raised.lead_resubmitted(data)
    assert (told["customer_id"], told["lead_id"]) == ("C1", None)
    assert told["data"]["new_contacts"] == ["email:wang@acme.cn"]
    assert raised.lead_resubmitted({**data, "owner_id": None}) is None  # nobody to tell yet


# --- channels and quiet hours ------------------------------------------------------------------------

def test_a_kind_named_in_the_preferences_gets_exactly_its_channels_any_other_the_inbox_and_the_default():
    pref = {"channels": {"default": ["email", "inbox"], "birthday": ["robot"]}}
    assert channels_for(pref, "birthday") == ["robot"]
    assert channels_for(pref, "cadence") == ["inbox", "email"]


def test_quiet_hours_delay_a_message_to_their_end_in_the_users_time_zone():
    night = {"quiet_hours": {"start": "22:00", "end": "08:00"}, "timezone": "Asia/Shanghai"}
    late = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    early = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 07:00 on the 11th in Shanghai
    assert after_quiet_hours(night, late) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 08:00 next morning
    assert after_quiet_hours(night, early) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    assert after_quiet_hours(night, NOW) == NOW  # 10:00: not quiet
    lunch = {"quiet_hours": {"start": "12:00", "end": "14:00"}, "timezone": "Europe/Berlin"}
    assert after_quiet_hours(lunch, datetime(2026, 3, 10, 12, 0, tzinfo=UTC)) == datetime(2026, 3, 10, 13, 0,
                                                                                           tzinfo=UTC)
    assert after_quiet_hours({"quiet_hours": {"start": "09:00", "end": "09:00"}}, NOW) == NOW
    assert after_quiet_hours({"quiet_hours": None}, late) == late


def test_a_critical_kind_ignores_quiet_hours():
    night = {"quiet_hours": {"start": "22:00", "end": "08:00"}, "timezone": "Asia/Shanghai"}
    late = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
    assert send_at(night, "lead_assigned", late, ["lead_assigned"]) == late
    assert send_at(night, "cadence", late, ["lead_assigned"]) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


# --- deliveries --------------------------------------------------------------------------------------

def test_a_failed_delivery_goes_again_on_a_growing_schedule_then_is_parked():
    schedule = rules.DEFAULTS["retry_seconds"]
    assert [retry_after(n, schedule) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (5, 300, 1800, 7200)]
    assert retry_after(5, schedule) is None and retry_after(99, schedule) is None


def test_a_deal_is_watched_for_its_stages_upper_expected_days_and_an_approval_comes_again_while_it_waits():
    moved = {"opportunity_id": "O1", "customer_id": "C1", "name": "Upsell", "owner_id": "u1", "stage": "proposal",
             "status": "open", "expected_days": [14, 21], "changed_at": "2026-03-01T08:00:00Z"}
    stay = raised.stage_stay(moved)
    assert stay["fire_at"] == datetime(2026, 3, 22, 8, tzinfo=timezone.utc)
    assert (stay["_id"], stay["data"]["opportunity"]) == ("stage_stay:O1:2026-03-01T08:00:00Z", "Upsell")
    assert raised.stage_stay({**moved, "status": "won"}) is None
    assert raised.stage_stay({**moved, "expected_days": None}) is None  # lost: no days to stay
    [notice] = raised.approvals({"contract_id": "K1", "customer_id": "C1", "amount": "200000.00",
                                 "awaiting": {"step": "manager", "approver_ids": ["m1"]}}, ["m1"])
    now = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    [again] = rules.follow_ons({**notice, "fire_at": now, "due_at": now}, rules.DEFAULTS, now, reached=True)
    assert (again["_id"], again["fire_at"], again["to"]) == ("approval:K1:manager:m1:1", now + timedelta(hours=24),
                                                             "user")
    assert rules.follow_ons(notice, {**rules.DEFAULTS, "approval_reminder_hours": None}, now, reached=True) == []

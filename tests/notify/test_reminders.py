"""Every reminder kind of DOMAIN §4, from events only, moved through time (issue 10, points 1, 2, 3, 9)."""
from datetime import date, datetime, timedelta

from crm_common.consumer import deliver
from crm_common.events import validate
from crm_common.testing.events import expect_events, outbox_events
from notify.preferences import store as prefs

from .conftest import inbox, iso


def org(feed):
    feed.user("mgr-1", role="manager")
    feed.user("boss-1", supervisor_id="mgr-1")
    feed.user("rep-1", supervisor_id="boss-1")


def kinds(rt, user_id="rep-1"):
    return [(i["kind"], i["customer_id"]) for i in inbox(rt, user_id) if i["kind"] != "customer_assigned"]


def test_cadence_by_level_a_b_c_and_a_follow_up_reschedules_it(rt, feed, travel):
    org(feed)
    for cid, level in (("CA", "A"), ("CB", "B"), ("CC", "C"), ("CF", "A")):
        feed.customer(cid, level=level)
    def first_reminded():  # each customer's first cadence reminder, in order (they recur: see below)
        return list(dict.fromkeys(cid for kind, cid in kinds(rt) if kind == "cadence"))
    travel(days=2, hours=23)
    assert kinds(rt) == []
    feed.followed_up("CF")  # at 2d23h: CF's next cadence is 3 days later, not at day 3
    travel(days=3, minutes=1)
    assert first_reminded() == ["CA"]
    travel(days=5, hours=22)
    assert first_reminded() == ["CA"]
    travel(days=6)
    assert first_reminded() == ["CA", "CF"]
    travel(days=7, minutes=1)
    assert first_reminded() == ["CA", "CF", "CB"]
    travel(days=29)
    assert len(first_reminded()) == 3
    travel(days=30, minutes=1)
    assert first_reminded() == ["CA", "CF", "CB", "CC"]
    [item] = inbox(rt, kind="cadence")[:1]
    assert item["title"] == "该跟进Acme CA了" and item["facts"]["level"] == "A"
    assert item["facts"]["days_since_contact"] == 3 and item["suggested_next_step"]


def test_a_cadence_reminder_comes_every_n_days_until_a_follow_up(rt, feed, travel):
    """DOMAIN §4 / seeds/001: an A customer is reminded every 3 days while nobody follows up, each
    occurrence once; a follow-up starts the count again, the pool stops it; the supervisor hears of
    the neglect once per series, not at every reminder."""
    org(feed)
    for cid in ("C1", "C2", "C3"):
        feed.customer(cid, level="A")

    def reminded(cid):  # the days its cadence reminders were due, counted from the customer's creation
        due = [i["due_at"] for i in inbox(rt, kind="cadence") if i["customer_id"] == cid]
        return [round((d - due[0]) / timedelta(days=1), 2) + 3 for d in due]
    travel(days=3, minutes=1)
    travel(days=4, minutes=2)
    rt.clock.set_offset(timedelta(days=5))
    feed.followed_up("C2")
    feed.owner_changed("C3", None, kind="pool_reclaim")
    for day in (6, 6, 8):
        travel(days=day, minutes=1)
    for offset in (timedelta(days=8, hours=1), timedelta(days=9)):  # re-planned between two and as one fell due
        rt.clock.set_offset(offset)
        feed.customer("C1", kind="updated", level="A")
    for day in (9, 12):
        travel(days=day, minutes=1)
    rt.scheduler.run_now("reminders-due")
    assert reminded("C1") == [3, 6, 9, 12]
    assert reminded("C2") == [3, 8, 11]  # every 3 days after the day-5 follow-up
    assert reminded("C3") == [3]  # in the pool since day 5
    assert len({i["key"] for i in inbox(rt, kind="cadence")}) == 8  # each occurrence its own key, once
    boss = [cid for kind, cid in kinds(rt, "boss-1") if kind == "overdue"]
    assert sorted(boss) == ["C1", "C2", "C2", "C3"]  # C2's second series was neglected too


def test_next_contact_says_the_plan_and_the_last_follow_up(rt, feed, travel):
    org(feed)
    feed.customer("C1", level="C")
    feed.followed_up("C1", next_contact_at=feed.now() + timedelta(days=2), summary="Wants a demo")
    travel(days=1)
    assert kinds(rt) == []
    travel(days=2, minutes=1)
    [item] = inbox(rt, kind="next_contact")
    assert "send the quote" in item["body"] and item["facts"]["last_followup"] == "Wants a demo"
    assert item["due_at"] is not None and item["customer_id"] == "C1"


def test_overdue_escalates_to_the_supervisor_after_1_day_and_the_manager_after_3_more(rt, feed, travel):
    org(feed)
    feed.customer("C1", level="A")
    feed.customer("C2", level="A")
    travel(days=3, minutes=1)
    assert kinds(rt) == [("cadence", "C1"), ("cadence", "C2")]
    rt.clock.set_offset(timedelta(days=3, hours=12))
    feed.followed_up("C2")  # done in time: nobody above hears of C2
    travel(days=3, hours=23)
    assert kinds(rt, "boss-1") == []
    travel(days=4, minutes=2)
    assert kinds(rt, "boss-1") == [("overdue", "C1")] and kinds(rt, "mgr-1") == []
    travel(days=6, hours=23)
    assert kinds(rt, "mgr-1") == []
    travel(days=7, minutes=3)
    assert kinds(rt, "mgr-1") == [("overdue", "C1")]
    assert kinds(rt, "boss-1") == [("overdue", "C1")]  # once each, however often the pass runs
    [told] = inbox(rt, "mgr-1")
    assert "rep-1" in told["title"]


def test_the_second_escalation_step_is_configurable(rt, feed, travel, client, token_for):
    org(feed)
    put = client.put("/v1/settings/reminders", json={"escalation_second_step_days": None, "cadence_days": {"A": 2}},
                     headers={**token_for("u-admin", "admin"), "If-Match": "*"})
    assert put.status_code == 200 and put.json["cadence_days"] == {"A": 2, "B": 7, "C": 30}
    feed.customer("C1", level="A")
    travel(days=2, minutes=1)
    travel(days=3, minutes=2)
    travel(days=30)
    # the cadence came again (day 4's, fired late at day 30: missed ones are not made up), escalated once
    assert kinds(rt) == [("cadence", "C1")] * 2 and kinds(rt, "boss-1") == [("overdue", "C1")]
    assert kinds(rt, "mgr-1") == []


def test_renewal_at_90_60_and_30_days_before_the_end_date(rt, feed, travel):
    org(feed)
    feed.customer("C1", level="C")
    end = (feed.now() + timedelta(days=100)).date()
    feed.contract("C1", "K1", end.isoformat(), level="C")
    steps = []
    for day in (9, 11, 41, 71, 99):
        travel(days=day)
        steps.append([i["facts"]["days_before"] for i in inbox(rt, kind="renewal")])
    assert steps == [[], [90], [90, 60], [90, 60, 30], [90, 60, 30]]
    facts = inbox(rt, kind="renewal")[0]["facts"]
    assert (facts["end_date"], facts["amount"]) == (end.isoformat(), "120000.00")  # the amount as an exact string


def test_a_birthday_and_a_founding_anniversary_come_on_the_day_every_year(rt, feed, travel):
    org(feed)
    day = (feed.now() + timedelta(days=5)).date()
    feed.customer("C1", level="C", founded_on=day.replace(year=2010).isoformat(),
                  birthdays=[{"contact_id": "P1", "name": "Li Na", "birthday": day.replace(year=1985).isoformat()}])
    travel(days=3)
    assert kinds(rt) == []
    travel(days=6)
    assert sorted(kinds(rt)) == [("anniversary", "C1"), ("birthday", "C1")]
    [birthday] = inbox(rt, kind="birthday")
    assert "Li Na" in birthday["title"] and birthday["facts"]["date"] == day.isoformat()
    assert inbox(rt, kind="anniversary")[0]["facts"]["years"] == day.year - 2010
    travel(days=6 + 366)
    assert len(inbox(rt, kind="birthday")) == 2  # next year's too


def test_reminders_follow_a_new_owner_and_stop_for_the_pool_or_a_deletion(rt, feed, travel):
    org(feed)
    feed.user("rep-2", supervisor_id="boss-1")
    for cid in ("C1", "C2", "C3"):
        feed.customer(cid, level="A")
    feed.owner_changed("C1", "rep-2")
    feed.owner_changed("C2", None, kind="pool_reclaim")
    feed.customer("C3", kind="deleted")
    travel(days=3, minutes=1)
    assert kinds(rt, "rep-2") == [("cadence", "C1")] and kinds(rt, "rep-1") == []


def test_a_redelivered_event_or_a_rerun_adds_nothing(rt, feed, travel):
    org(feed)
    event = feed.customer("C1", level="A")
    with expect_events(rt, []):
        assert deliver(rt, "notify", feed.handlers, event) is False
    travel(days=3, minutes=1)
    with expect_events(rt, []):
        travel(days=3, minutes=2)
        rt.scheduler.run_now("reminders-due")
    assert kinds(rt) == [("cadence", "C1")] and len(inbox(rt, kind="customer_assigned")) == 1


def test_an_inbox_only_reminder_is_published_once_as_sent_on_the_inbox(rt, feed, travel):
    """At default preferences (the inbox only) subscribers and reporting still learn each reminder reached
    its user: one crm.notification.sent, channel inbox, written with the item; a rerun or a redelivered
    event publishes no second one."""
    org(feed)
    created = feed.customer("C1", level="A")
    with expect_events(rt, [("crm.notification.sent", {"kind": "cadence", "channel": "inbox"})]) as written:
        travel(days=3, minutes=1)
    with expect_events(rt, []):
        travel(days=3, minutes=2)
        assert deliver(rt, "notify", feed.handlers, created) is False
    assert rt.db.deliveries.count_documents({}) == 0  # nothing outbound at the defaults
    [item] = inbox(rt, kind="cadence")
    sent = outbox_events(rt.db, "crm.notification.sent")
    [cadence] = written
    validate(cadence)
    key = f"{item['key']}:rep-1:inbox"
    assert (cadence["subject"], cadence["version"]) == (key, 1)
    assert {k: cadence["data"][k] for k in ("delivery_id", "key", "reminder_key", "channel", "user_id",
                                             "customer_id", "attempts")} == {
        "delivery_id": item["_id"], "key": key, "reminder_key": item["key"], "channel": "inbox", "user_id": "rep-1",
        "customer_id": "C1", "attempts": 1}
    assert sorted(e["data"]["delivery_id"] for e in sent) == sorted(i["_id"] for i in rt.db.inbox.find())


def test_event_driven_kinds_reach_the_right_person_at_once(rt, feed):
    org(feed)
    now = iso(feed.now())
    feed.customer("C1", level="B")
    feed.send("crm.lead.assigned", "L1", {"lead_id": "L1", "owner_id": "rep-1", "by": "rules", "assigned_at": now,
                                          "respond_by": iso(feed.now() + timedelta(hours=24))})
    feed.send("crm.pool.customer_claimed", "C1", {"customer_id": "C1", "owner_id": "rep-1", "previous_owner_id": None,
                                                  "kind": "claim", "claimed_at": now})
    feed.send("crm.pool.reclaim_warning", "C1", {"customer_id": "C1", "owner_id": "rep-1", "pool_id": None,
                                                 "rule": "no_followup", "days_before": 3, "warned_at": now,
                                                 "reclaim_due_at": iso(feed.now() + timedelta(days=3))})
    feed.send("crm.lead.resubmitted", "L2", {"record_id": "C1", "record_kind": "customer", "owner_id": "rep-1",
                                             "channel_id": "CH1", "channel": "wechat", "matched_keys": ["phone:+861"],
                                             "added_keys": [], "offered_keys": ["email:wang@acme.cn", "company_contact:acme/wang"],
                                             "received_at": now})
    feed.stage_changed("C1", "proposal", grade="normal", level="B")
    feed.stage_changed("C1", "negotiation", grade="large", level="B")
    got = {i["kind"]: i for i in inbox(rt)}
    assert set(got) == {"customer_assigned", "lead_assigned", "pool_claimed", "reclaim_warning", "lead_resubmitted"}
    assert got["lead_assigned"]["lead_id"] == "L1"
    assert got["lead_assigned"]["due_at"] - feed.now() > timedelta(hours=23, minutes=59)
    assert got["pool_claimed"]["due_at"] - feed.now() > timedelta(hours=47, minutes=59)
    assert got["reclaim_warning"]["customer_id"] == "C1"
    assert got["lead_resubmitted"]["facts"]["new_contacts"] == ["email:wang@acme.cn"]  # the owner sees the email offered
    [stage] = inbox(rt, "boss-1")  # the grade-large change only, to the owner's supervisor
    assert stage["kind"] == "stage_change" and stage["facts"]["to_stage"] == "negotiation"


def test_a_reminder_speaks_the_users_language(rt, feed, travel):
    org(feed)
    prefs.put(rt, "rep-1", {"language": "en"})
    feed.customer("C1", level="A", name="Acme")
    travel(days=3, minutes=1)
    [item] = inbox(rt, kind="cadence")
    assert item["title"] == "Time to follow up Acme" and "3 days ago" in item["body"]
    assert item["suggested_next_step"] == "Contact Acme today and log it"
    assert date.fromisoformat(str(item["due_at"].date()))


def test_a_settings_change_re_plans_the_pending_reminders(rt, feed, travel, client, token_for):
    org(feed)
    admin = token_for("u-admin", "admin")
    feed.customer("C1", level="A")
    feed.customer("C2", level="C")
    end = (feed.now() + timedelta(days=100)).date()
    feed.contract("C2", "K1", end.isoformat(), level="C")
    put = client.put("/v1/settings/reminders", headers={**admin, "If-Match": "*"}, json={"cadence_days": {"A": 5},
                                                                     "renewal_days_before": [45]})
    assert put.status_code == 200
    travel(days=3, minutes=1)
    assert kinds(rt) == []  # the A cadence planned at 3 days now falls due at 5
    travel(days=5, minutes=1)
    assert kinds(rt) == [("cadence", "C1")]
    # the escalation of that cadence is pending for day 6; it moves when the offset changes
    assert client.put("/v1/settings/reminders", headers={**admin, "If-Match": "*"},
                      json={"overdue_after_days": 2}).status_code == 200
    travel(days=6, minutes=2)
    assert kinds(rt, "boss-1") == []
    travel(days=7, minutes=2)
    assert kinds(rt, "boss-1") == [("overdue", "C1")]
    travel(days=11)
    assert inbox(rt, kind="renewal") == []  # the 90-day step is gone
    travel(days=54)
    assert inbox(rt, kind="renewal") == []
    travel(days=56)
    assert [i["facts"]["days_before"] for i in inbox(rt, kind="renewal")] == [45]


def test_pool_first_contact_follows_the_events_deadline_or_the_setting(rt, feed, client, token_for):
    org(feed)
    now = feed.now()
    feed.customer("C1", level="B")
    feed.customer("C2", level="B")
    feed.send("crm.pool.customer_claimed", "C1", {"customer_id": "C1", "owner_id": "rep-1", "previous_owner_id": None,
                                                  "kind": "claim", "claimed_at": iso(now),
                                                  "first_contact_due_at": iso(now + timedelta(hours=12))})
    assert client.put("/v1/settings/reminders", headers={**token_for("u-admin", "admin"), "If-Match": "*"},
                      json={"pool_first_contact_hours": 24}).status_code == 200
    # a claim from a release whose events carried no deadline: notify's setting
    feed.send("crm.pool.customer_claimed", "C2", {"customer_id": "C2", "owner_id": "rep-1", "previous_owner_id": None,
                                                  "kind": "claim", "claimed_at": iso(now)})
    got = {i["customer_id"]: i for i in inbox(rt, kind="pool_claimed")}
    assert abs(got["C1"]["due_at"] - now - timedelta(hours=12)) < timedelta(seconds=1) and "12小时" in got["C1"]["body"]
    assert abs(got["C2"]["due_at"] - now - timedelta(hours=24)) < timedelta(seconds=1) and "24小时" in got["C2"]["body"]


def test_a_manager_assigning_a_pool_customer_tells_the_rep_it_is_theirs_without_a_reclaim_threat(rt, feed):
    # the pool reclaims a missed first contact after claims only (DOMAIN §3): an assignment is no claim
    org(feed)
    feed.customer("C2", level="B", owner_id="rep-2")
    feed.send("crm.pool.customer_assigned", "C2", {"customer_id": "C2", "owner_id": "rep-1", "pool_id": "P1",
                                                   "previous_owner_id": None, "assigned_at": iso(feed.now())})
    assert inbox(rt, kind="pool_claimed") == []
    [notice] = [i for i in inbox(rt, "rep-1", kind="customer_assigned") if i["customer_id"] == "C2"]
    assert "收回" not in notice["body"]


def test_a_lunar_birthday_comes_on_this_years_lunar_date(rt, feed, travel, client, token_for):
    from zoneinfo import ZoneInfo
    from lunardate import LunarDate
    org(feed)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    target = next(today + timedelta(days=d) for d in range(10, 90) if not _lunar(today + timedelta(days=d)).is_leap_month)
    lunar = _lunar(target)
    born = next(LunarDate(year, lunar.month, lunar.day).to_solar_date() for year in range(1980, 2010)
                if _valid_lunar(year, lunar.month, lunar.day)
                and LunarDate(year, lunar.month, lunar.day).to_solar_date().replace(year=target.year) != target)
    days = (target - today).days  # born on the same lunar month and day, a different solar one
    assert client.put("/v1/settings/reminders", headers={**token_for("u-admin", "admin"), "If-Match": "*"},
                      json={"birthday_calendar": "lunar"}).status_code == 200
    feed.customer("C1", level="C", birthdays=[{"contact_id": "P1", "name": "Wang Fang", "birthday": born.isoformat()}])
    travel(days=days - 1)
    assert inbox(rt, kind="birthday") == []
    travel(days=days + 1)
    [item] = inbox(rt, kind="birthday")
    assert item["facts"]["date"] == target.isoformat() and item["title"] == "Wang Fang的生日"


def _lunar(day):
    from lunardate import LunarDate
    return LunarDate.from_solar_date(day.year, day.month, day.day)


def _valid_lunar(year, month, day):
    from lunardate import LunarDate
    try:
        LunarDate(year, month, day).to_solar_date()
        return True
    except ValueError:
        return False


def test_a_follow_up_after_entering_a_stage_answers_its_stage_follow_up(rt, feed, travel):
    org(feed)
    for cid in ("C1", "C2"):
        feed.customer(cid, level="C")
        feed.stage_entered(cid, "proposal", days=7, level="C")  # proposal: follow up within 7 days
    rt.clock.set_offset(timedelta(days=2))
    feed.followed_up("C1", level="C", stage="proposal")  # C1 followed up on day 2, still in proposal
    travel(days=7, minutes=1)
    assert kinds(rt) == [("stage_followup", "C2")]
    travel(days=12)
    assert kinds(rt) == [("stage_followup", "C2")]


def test_leaving_the_stage_or_the_owner_cancels_the_stage_follow_up(rt, feed, travel):
    org(feed)
    for cid in ("C1", "C2", "C3", "C4", "C5"):
        feed.customer(cid, level="C")
        feed.stage_entered(cid, "proposal", days=7, level="C")
    rt.clock.set_offset(timedelta(days=3))
    feed.stage_changed("C1", "lost", level="C")  # the deal was lost
    feed.stage_changed("C2", "negotiation", level="C")  # moved on (no follow-up asked for there)
    feed.customer("C3", kind="deleted", level="C", stage="proposal")
    feed.owner_changed("C4", None, kind="pool_reclaim", level="C", stage="proposal")
    feed.customer("C5", kind="updated", level="C", stage="proposal")  # still in proposal: still due
    travel(days=7, minutes=1)
    assert kinds(rt) == [("stage_followup", "C5")]


def test_re_entering_a_stage_asks_for_its_follow_up_again(rt, feed, travel):
    org(feed)
    feed.customer("C1", level="C")
    feed.stage_entered("C1", "proposal", days=7, level="C")
    rt.clock.set_offset(timedelta(days=1))
    feed.stage_changed("C1", "negotiation", level="C")
    rt.clock.set_offset(timedelta(days=2))
    feed.stage_entered("C1", "proposal", days=7, level="C")  # back to proposal: due on day 9
    travel(days=8)
    assert kinds(rt) == []
    travel(days=9, minutes=1)
    assert kinds(rt) == [("stage_followup", "C1")]


def lead_items(rt, user_id, kind="overdue"):
    return [i["lead_id"] for i in inbox(rt, user_id, kind)]


def test_a_lead_not_contacted_1_day_after_its_response_time_goes_to_the_supervisor(rt, feed, travel):
    org(feed)
    feed.user("boss-2", supervisor_id="mgr-1")
    feed.user("rep-2", supervisor_id="boss-2")
    for lead_id in ("L1", "L2", "L3", "L4", "L5", "L6"):
        feed.lead("assigned", lead_id)  # respond within 24 h
    rt.clock.set_offset(timedelta(hours=10))
    feed.lead("assigned", "L6", owner_id="rep-2", by="mgr-1")  # re-assigned: rep-2 answers from now on
    rt.clock.set_offset(timedelta(hours=30))  # late, but before the escalation
    feed.lead("contacted", "L2")
    feed.lead("converted", "L3")
    feed.lead("disqualified", "L4")
    feed.lead("merged", "L5")
    travel(days=1, hours=23)
    assert lead_items(rt, "boss-1") == [] and lead_items(rt, "boss-2") == []
    travel(days=2, minutes=1)
    assert lead_items(rt, "boss-1") == ["L1"] and lead_items(rt, "rep-1") == []
    travel(days=2, hours=10, minutes=1)
    assert lead_items(rt, "boss-2") == ["L6"] and lead_items(rt, "boss-1") == ["L1"]
    [told] = inbox(rt, "boss-1", "overdue")
    assert "L1" in told["body"] and "rep-1" in told["title"] and "线索" in told["title"]
    assert told["customer_id"] is None
    travel(days=5, minutes=2)  # the second step, 3 days later, to the department's manager
    assert lead_items(rt, "mgr-1") == ["L1"]
    rt.scheduler.run_now("reminders-due")
    assert lead_items(rt, "boss-1") == ["L1"] and lead_items(rt, "mgr-1") == ["L1"]  # once each


def test_a_lead_escalation_speaks_english_too(rt, feed, travel):
    org(feed)
    prefs.put(rt, "boss-1", {"language": "en"})
    feed.lead("assigned", "L1")
    travel(days=2, minutes=1)
    [told] = inbox(rt, "boss-1", "overdue")
    assert told["title"] == "Lead not contacted: rep-1"
    assert "L1" in told["body"] and "customer" not in told["body"] + told["suggested_next_step"]

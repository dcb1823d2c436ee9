"""Nurturing sequences (养鱼) as an admin or manager runs them: saved with checked steps, contacts
enrolled once (by id, by a filter), each step handed to the outbox once in its send window, the weekly
cap holding a step back without dropping it, goals and opt-outs ending an enrollment before its next
step, and the report counting it all."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from notify.contacts import suppression
from notify.sequences import advance, goals

from .conftest import allow_local_receivers, iso
from .test_sms import aliyun, callback, use_aliyun  # noqa: F401 - aliyun is a fixture

WINDOW = {"days": [1, 2, 3, 4, 5, 6, 7], "hours": [9, 18]}


@pytest.fixture
def admin(token_for):
    return token_for("u-admin", "admin")


def template(client, admin, kind="nurture", language="zh", subject="{{ customer.name }}，行业资讯",
             body="您好 {{ contact.name }}，请看 https://example.com/news?a=1&b=2"):
    made = client.post("/v1/templates", headers=admin, json={
        "kind": kind, "language": language, "body": body, **({"subject": subject} if subject else {})})
    assert made.status_code == 201, made.json
    return made.json["id"]


def customer_with_contact(feed, client, admin, customer_id, contact_id, *, consent=True, lifecycle="nurturing",
                          level="B"):
    feed.customer(customer_id, lifecycle=lifecycle, level=level, contacts=[{
        "contact_id": contact_id, "name": f"Li {contact_id}", "phones": [], "wechat_ids": [],
        "emails": [f"{contact_id}@example.com"], "email": f"{contact_id}@example.com"}])
    if consent:
        assert client.put(f"/v1/contacts/{contact_id}/consent", headers=admin, json={
            "channel": "email", "granted": True, "source": "trade_fair"}).status_code == 200


def sequence(client, admin, steps, **extra):
    made = client.post("/v1/sequences", headers=admin, json={"name": "养鱼 2027", "steps": steps, **extra})
    assert made.status_code == 201, made.json
    return made.json["id"]


def deliveries(rt, contact_id):
    return list(rt.db.deliveries.find({"recipient.contact_id": contact_id}).sort("created_at", 1))


def at_local_hour(rt, hour):
    """Move the clock to the next day at `hour` o'clock in Asia/Shanghai."""
    now = rt.clock.now()
    target = (now + timedelta(days=1)).astimezone(timezone(timedelta(hours=8))).replace(
        hour=hour, minute=0, second=0, microsecond=0)
    rt.clock.set_offset(target - datetime.now(timezone.utc))


def test_a_sequence_is_saved_only_with_steps_that_can_go_and_only_by_admins_and_managers(client, admin, token_for):
    email = template(client, admin)
    sms = template(client, admin, subject=None, body="{{ contact.name }} 您好，新品上市")
    english = template(client, admin, language="en", subject="News", body="Hello")
    greeting = template(client, admin, kind="birthday_greeting", subject="生日快乐", body="祝您生日快乐")
    step = {"channel": "email", "template_id": email, "delay_hours": 0}
    cases = [({"channel": "fax", "template_id": email, "delay_hours": 0}, "steps.0.channel"),
             ({"channel": "email", "template_id": email, "delay_hours": -1}, "steps.0.delay_hours"),
             ({"channel": "email", "template_id": "no-such", "delay_hours": 0}, "steps.0.template_id"),
             ({"channel": "email", "template_id": sms, "delay_hours": 0}, "steps.0.template_id"),
             ({"channel": "email", "template_id": greeting, "delay_hours": 0}, "steps.0.template_id"),
             ({**step, "window": {"days": [8], "hours": [9, 17]}}, "steps.0.window.days"),
             ({**step, "window": {"days": [1], "hours": [17, 9]}}, "steps.0.window.hours")]
    for bad, field in cases:
        answer = client.post("/v1/sequences", headers=admin, json={"name": "x", "steps": [bad]})
        assert answer.status_code == 400, (bad, answer.json)
        assert field in {e["field"] for e in answer.json["errors"]}, (field, answer.json)
    mixed = client.post("/v1/sequences", headers=admin, json={"name": "x", "steps": [
        step, {"channel": "email", "template_id": english, "delay_hours": 24}]})
    assert mixed.status_code == 400 and mixed.json["errors"][0]["field"] == "steps.1.template_id"
    bad_goal = client.post("/v1/sequences", headers=admin, json={"name": "x", "steps": [step],
                                                                 "goals": [{"type": "lifecycle", "in": ["rich"]}]})
    assert bad_goal.status_code == 400 and bad_goal.json["errors"][0]["field"] == "goals.0.in"
    assert client.post("/v1/sequences", headers=token_for("rep-1", "rep"),
                       json={"name": "x", "steps": [step]}).status_code == 403
    assert client.get("/v1/sequences", headers=admin).status_code in (404, 405)  # no listing promised
    assert not list(client.application.extensions["crm"].db.sequences.find())  # nothing half-written
    made = client.post("/v1/sequences", headers=token_for("m-1", "manager", ("D1",)), json={
        "name": "x", "steps": [step, {"channel": "sms", "template_id": sms, "delay_hours": 48, "window": WINDOW}],
        "goals": [{"type": "reply"}]})
    assert made.status_code == 201 and made.json["language"] == "zh"
    assert client.get(f"/v1/sequences/{made.json['id']}", headers=token_for("m-2", "manager", ("D2",))).status_code == 404
    assert client.get(f"/v1/sequences/{made.json['id']}", headers=admin).json["steps"][1]["window"] == WINDOW


def test_each_step_goes_once_in_its_window_and_the_enrollment_completes_after_the_last(rt, client, admin, feed):
    # the day begins at 14:00 in Shanghai, so the second step, 48 hours on, falls outside its 9-11 window
    real = datetime.now(timezone.utc)
    base = (real.replace(hour=6, minute=0, second=0, microsecond=0) + timedelta(days=1)) - real
    rt.clock.set_offset(base)
    customer_with_contact(feed, client, admin, "C1", "K1")
    first, second = template(client, admin), template(client, admin, body="第二封：{{ sender.name }}")
    seq = sequence(client, admin, [{"channel": "email", "template_id": first, "delay_hours": 0},
                                   {"channel": "email", "template_id": second, "delay_hours": 48,
                                    "window": {"days": [1, 2, 3, 4, 5, 6, 7], "hours": [9, 10]}}])
    enrolled = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"}).json
    assert enrolled["enrolled"] == 1 and enrolled["skipped"] == 0
    again = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"}).json
    assert again == {"enrolled": 0, "skipped": 1, "skipped_by_reason": {"already_enrolled": 1}, "enrollment_ids": []}
    [enrollment_id] = enrolled["enrollment_ids"]

    advance.advance_due(rt)
    advance.advance_due(rt)  # a second run finds nothing more due
    [mail] = deliveries(rt, "K1")
    assert mail["key"] == f"{enrollment_id}:0" and mail["marketing"] and mail["channel"] == "email"
    assert mail["title"] == "Acme C1，行业资讯" and "您好 Li K1" in mail["body"]
    assert "https://example.com/news" not in mail["body"] and "/c/" in mail["body"]  # the link is tracked

    rt.clock.set_offset(base + timedelta(hours=47))
    advance.advance_due(rt)
    assert len(deliveries(rt, "K1")) == 1  # not yet two days on
    enrollment = rt.db.enrollments.find_one({"_id": enrollment_id})
    local = enrollment["next_at"].replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=8)))
    assert local.hour == 9 and local.minute == 0  # the window's opening, in the contact's time zone
    rt.clock.set_offset(base + timedelta(days=4))
    advance.advance_due(rt)
    assert [d["key"] for d in deliveries(rt, "K1")] == [f"{enrollment_id}:0", f"{enrollment_id}:1"]
    assert rt.db.enrollments.find_one({"_id": enrollment_id})["status"] == "completed"
    report = client.get(f"/v1/sequences/{seq}/report", headers=admin).json
    assert report["enrolled"] == 1 and report["completed"] == 1
    assert [(s["step"], s["queued"]) for s in report["steps"]] == [(0, 1), (1, 1)]


def test_the_weekly_cap_holds_a_step_back_and_it_goes_once_the_week_has_room(rt, client, admin, feed):
    customer_with_contact(feed, client, admin, "C1", "K1")
    seq = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0}])
    busy = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0},
                                    {"channel": "email", "template_id": template(client, admin), "delay_hours": 1}])
    client.post(f"/v1/sequences/{busy}/enrollments", headers=admin, json={"contact_id": "K1"})
    advance.advance_due(rt)
    rt.clock.set_offset(timedelta(hours=2))
    advance.advance_due(rt)
    assert len(deliveries(rt, "K1")) == 2  # two marketing messages this week: the cap is reached
    client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"})
    advance.advance_due(rt)
    assert len(deliveries(rt, "K1")) == 2
    report = client.get(f"/v1/sequences/{seq}/report", headers=admin).json
    assert report["active"] == 1 and report["steps"][0]["waiting_for_cap"] == 1 and report["steps"][0]["queued"] == 0
    rt.clock.set_offset(timedelta(days=8))
    advance.advance_due(rt)
    assert len(deliveries(rt, "K1")) == 3
    assert client.get(f"/v1/sequences/{seq}/report", headers=admin).json["completed"] == 1


def test_goals_and_opt_outs_end_an_enrollment_before_its_next_step(rt, client, admin, feed):
    for n in (1, 2, 3, 4):
        customer_with_contact(feed, client, admin, f"C{n}", f"K{n}")
    steps = [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0},
             {"channel": "email", "template_id": template(client, admin), "delay_hours": 24}]
    seq = sequence(client, admin, steps, goals=[{"type": "lifecycle", "in": ["has_demand"]},
                                                {"type": "stage", "in": ["proposal"]}, {"type": "click"}])
    answer = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin,
                         json={"filter": {"kind": "customer_contact", "lifecycle": "nurturing"}}).json
    assert answer["enrolled"] == 4
    advance.advance_due(rt)
    feed.send("crm.customer.lifecycle_changed", "C1", {**feed.snapshot("C1", lifecycle="has_demand"),
                                                       "from": "nurturing", "to": "has_demand",
                                                       "trigger": "opportunity_created", "changed_at": iso(feed.now())})
    feed.send("crm.opportunity.stage_changed", "O2", {
        "opportunity_id": "O2", "customer_id": "C2", "name": "Deal", "owner_id": "rep-1", "department_path": ["D1"],
        "pipeline_id": "P1", "stage": "proposal", "status": "open", "amount": None, "from": "needs", "to": "proposal",
        "by": "rep-1", "changed_at": iso(feed.now())})
    rt.transaction(lambda s: suppression.suppress(rt, s, channel="email", contact_id="K3", source="unsubscribe_link"))
    [tracked] = [d for d in deliveries(rt, "K4")]
    link = tracked["body"][tracked["body"].index("/c/"):].split()[0].rstrip('"')
    followed = client.get(link)
    assert followed.status_code == 302 and followed.headers["Location"] == "https://example.com/news?a=1&b=2"
    assert client.get("/c/forged-token").status_code == 404

    rt.clock.set_offset(timedelta(days=2))
    advance.advance_due(rt)
    assert sum(len(deliveries(rt, f"K{n}")) for n in (1, 2, 3, 4)) == 4  # no second step for anyone
    ended = {e["contact_id"]: (e["status"], e["end_reason"]) for e in rt.db.enrollments.find()}
    assert ended["K1"] == ("goal_reached", "lifecycle:has_demand")
    assert ended["K2"] == ("goal_reached", "stage:proposal")
    assert ended["K3"][0] == "unsubscribed"
    assert ended["K4"] == ("goal_reached", "click")
    report = client.get(f"/v1/sequences/{seq}/report", headers=admin).json
    assert (report["enrolled"], report["goal_reached"], report["unsubscribed"], report["active"]) == (4, 3, 1, 0)


def test_a_filter_answers_how_many_it_enrolled_and_why_it_skipped_the_rest(rt, client, admin, feed):
    stamp = iso(feed.now())
    for n, (channel_id, bucket, consent) in enumerate([("fair", "cold", True), ("fair", "cold", False),
                                                       ("fair", "hot", True), ("web", "cold", True)]):
        feed.send("crm.lead.received", f"L{n}", {
            "lead_id": f"L{n}", "channel_id": channel_id, "channel": channel_id, "name": f"Lead {n}", "company": None,
            "company_key": None, "phones": [], "emails": [f"l{n}@example.com"], "wechat_ids": [], "received_at": stamp,
            "score": 10, "bucket": bucket, "marketing_consent": consent})
    seq = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0}])
    cold_fair = {"filter": {"kind": "lead", "channel_id": "fair", "bucket": "cold"}}
    answer = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json=cold_fair).json
    assert (answer["enrolled"], answer["skipped_by_reason"]) == (1, {"no_consent": 1})
    again = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json=cold_fair).json
    assert again["skipped_by_reason"] == {"already_enrolled": 1, "no_consent": 1}
    wrong = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin,
                        json={"filter": {"kind": "lead", "lifecycle": "nurturing"}})
    assert wrong.status_code == 400 and wrong.json["errors"][0]["field"] == "filter.lifecycle"
    both = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "L0", **cold_fair})
    assert both.status_code == 400
    assert client.post("/v1/sequences/nope/enrollments", headers=admin, json={"contact_id": "L0"}).status_code == 404


def test_reenrollment_waits_for_the_sequences_gap_and_one_active_enrollment_is_held_by_the_index(rt, client, admin,
                                                                                                 feed):
    customer_with_contact(feed, client, admin, "C1", "K1")
    once = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0}])
    gap = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0}],
                   reenroll_after_days=30)
    for seq in (once, gap):
        client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"})
    row = rt.db.enrollments.find_one({"sequence_id": gap})
    with pytest.raises(Exception, match="(?i)duplicate"):
        rt.db.enrollments.insert_one({**row, "_id": "racing-copy"})
    rt.clock.set_offset(timedelta(days=8))  # the weekly cap has room again
    advance.advance_due(rt)
    rt.clock.set_offset(timedelta(days=20))
    reasons = [client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"}).json[
        "skipped_by_reason"] for seq in (once, gap)]
    assert reasons == [{"reenrollment_off": 1}, {"too_soon": 1}]
    rt.clock.set_offset(timedelta(days=40))
    assert client.post(f"/v1/sequences/{gap}/enrollments", headers=admin, json={"contact_id": "K1"}).json[
        "enrolled"] == 1


def test_a_rules_enroll_action_enrolls_the_records_contacts_and_answers_who(rt, client, admin, feed):
    from .test_rule_requests import answers, apply, requested
    customer_with_contact(feed, client, admin, "C1", "K1")
    feed.customer("C1", contacts=[  # a second contact, who never agreed to marketing
        {"contact_id": "K1", "name": "Li K1", "phones": [], "wechat_ids": [], "emails": ["K1@example.com"]},
        {"contact_id": "K2", "name": "Li K2", "phones": [], "wechat_ids": [], "emails": ["K2@example.com"]}])
    seq = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0}],
                   goals=[{"type": "reply"}])
    request = requested({"type": "enroll", "sequence_id": seq, "applied_by": "notify"})
    assert apply(rt, request)
    assert not apply(rt, request)  # delivered again: the version guard drops it
    apply(rt, requested({"type": "enroll", "sequence_id": "no-such-sequence", "applied_by": "notify"}))
    first, unknown = answers(rt)
    [enrollment] = rt.db.enrollments.find()
    assert first["status"] == "applied" and first["result"] == {
        "sequence_id": seq, "enrollment_ids": [enrollment["_id"]], "skipped_by_reason": {"no_consent": 1}}
    assert enrollment["contact_id"] == "K1" and enrollment["by"]["rule_id"] == "rule-1"
    assert (unknown["status"], unknown["reason"]) == ("refused", "no_such_sequence")

    rt.transaction(lambda s: goals.contact_replied(rt, s, "K1"))  # e.g. an SMS reply at the callback
    assert rt.db.enrollments.find_one()["status"] == "goal_reached"


def test_an_opt_out_published_ends_every_enrollment_of_the_contact(rt, client, admin, feed):
    customer_with_contact(feed, client, admin, "C1", "K1")
    for _ in range(2):
        seq = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin),
                                        "delay_hours": 24}])
        client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"})
    feed.send("crm.contact.unsubscribed", "K1", {"contact_id": "K1", "kind": "customer_contact", "customer_id": "C1",
                                                 "lead_id": None, "channel": "sms", "source": "sms_reply",
                                                 "unsubscribed_at": iso(feed.now())})
    assert [(e["status"], e["end_reason"]) for e in rt.db.enrollments.find()] == [("unsubscribed", "opted_out_sms")] * 2


def test_an_sms_reply_at_the_callback_is_the_contacts_reply_and_ends_its_enrollment(rt, client, admin, feed, aliyun):
    assert use_aliyun(client, allow_local_receivers(client, admin), aliyun).status_code == 200
    feed.customer("C1", lifecycle="nurturing", contacts=[{
        "contact_id": "K1", "name": "Wang", "phones": ["+8613800138000"], "emails": [], "wechat_ids": [],
        "mobile": "+8613800138000"}])
    assert client.put("/v1/contacts/K1/consent", headers=admin, json={
        "channel": "sms", "granted": True, "source": "trade_fair"}).status_code == 200
    sms = template(client, admin, subject=None, body="{{ contact.name }} 您好，新品上市，回复有礼")
    seq = sequence(client, admin, [{"channel": "sms", "template_id": sms, "delay_hours": 0},
                                   {"channel": "sms", "template_id": sms, "delay_hours": 72}], goals=[{"type": "reply"}])
    client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"})
    advance.advance_due(rt)
    answer = callback(client, "aliyun", [{"phone_number": "13800138000", "send_time": "2026-12-07 10:00:00",
                                          "content": "有兴趣，请联系我", "sign_name": "云销", "dest_code": "1001",
                                          "sequence_id": 1}])
    assert answer.status_code == 200 and answer.json["applied"] == 1
    rt.clock.set_offset(timedelta(days=4))
    advance.advance_due(rt)
    assert rt.db.deliveries.count_documents({"recipient.contact_id": "K1"}) == 1
    assert rt.db.enrollments.find_one()["end_reason"] == "reply"


def test_a_step_waits_for_its_window_in_the_time_zone_the_customer_gives_the_contact(rt, client, admin, feed):
    customer_with_contact(feed, client, admin, "C1", "K1")  # no zone yet: the default, Asia/Shanghai
    at_local_hour(rt, 7)
    seq = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0,
                                    "window": WINDOW}])
    assert client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"}).json["enrolled"]
    feed.customer("C1", kind="updated", contacts=[{
        "contact_id": "K1", "name": "Li K1", "phones": [], "wechat_ids": [], "emails": ["K1@example.com"],
        "email": "K1@example.com", "timezone": "America/New_York"}])
    rt.clock.set_offset(rt.clock.now() - datetime.now(timezone.utc) + timedelta(hours=3))  # 10:00 in Shanghai
    advance.advance_due(rt)
    assert deliveries(rt, "K1") == []  # 21:00 or 22:00 the evening before in New York
    enrollment = rt.db.enrollments.find_one({"contact_id": "K1"})
    opens = enrollment["next_at"].replace(tzinfo=timezone.utc).astimezone(ZoneInfo("America/New_York"))
    assert (opens.hour, opens.minute) == (9, 0)
    rt.clock.set_offset(opens - datetime.now(timezone.utc))
    advance.advance_due(rt)
    assert len(deliveries(rt, "K1")) == 1


def lead_enrolled(rt, client, admin, feed, lead_id, *sequences):
    feed.send("crm.lead.received", lead_id, {
        "lead_id": lead_id, "channel_id": "CH1", "channel": "web", "name": "Zhou Min", "phones": [],
        "emails": [f"{lead_id}@min.cn"], "wechat_ids": [], "received_at": iso(feed.now()), "score": 40,
        "bucket": "warm", "marketing_consent": True})
    for seq in sequences:
        assert client.post(f"/v1/sequences/{seq}/enrollments", headers=admin,
                           json={"contact_id": lead_id}).json["enrolled"] == 1


def converted(feed, customer_id, lead_id, contact_id):
    feed.lead("converted", lead_id)
    feed.customer(customer_id, source_lead_id=lead_id, contacts=[{
        "contact_id": contact_id, "name": "Zhou Min", "phones": [], "wechat_ids": [],
        "emails": [f"{lead_id}@min.cn"], "email": f"{lead_id}@min.cn"}])


def test_a_converted_leads_enrollment_moves_to_its_contact_and_what_it_was_sent_counts_toward_the_cap(
        rt, client, admin, feed):
    steps = [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0},
             {"channel": "email", "template_id": template(client, admin), "delay_hours": 24}]
    seq, other = sequence(client, admin, steps), sequence(client, admin, steps[:1])
    lead_enrolled(rt, client, admin, feed, "L1", seq)
    advance.advance_due(rt)
    assert len(deliveries(rt, "L1")) == 1  # the first step went to the lead
    converted(feed, "C1", "L1", "K1")
    [moved] = rt.db.enrollments.find({"sequence_id": seq})
    assert (moved["contact_id"], moved["customer_id"], moved["status"], moved["step"]) == ("K1", "C1", "active", 1)
    again = client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K1"}).json
    assert again["skipped_by_reason"] == {"already_enrolled": 1}  # one person, one enrollment
    assert client.post(f"/v1/sequences/{other}/enrollments", headers=admin, json={"contact_id": "K1"}).json["enrolled"]
    advance.advance_due(rt)  # the other sequence's message: the second of the week for this person
    rt.clock.set_offset(timedelta(days=2))
    advance.advance_due(rt)
    assert len(deliveries(rt, "K1")) == 1  # the cap of 2 counts the one the lead was sent
    assert rt.db.enrollments.find_one({"_id": moved["_id"]})["capped"] is True


def test_a_converted_lead_in_a_sequence_its_contact_is_already_in_ends_as_merged(rt, client, admin, feed):
    seq = sequence(client, admin, [{"channel": "email", "template_id": template(client, admin), "delay_hours": 0}])
    lead_enrolled(rt, client, admin, feed, "L2", seq)
    customer_with_contact(feed, client, admin, "C2", "K2")  # the contact was heard of first (an event retried later)
    assert client.post(f"/v1/sequences/{seq}/enrollments", headers=admin, json={"contact_id": "K2"}).json["enrolled"]
    converted(feed, "C2", "L2", "K2")
    statuses = {e["contact_id"]: e["status"] for e in rt.db.enrollments.find({"sequence_id": seq})}
    assert statuses == {"L2": "merged", "K2": "active"}
    assert client.get(f"/v1/sequences/{seq}/report", headers=admin).json["enrolled"] == 1

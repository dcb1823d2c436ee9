"""Contacts are recipients (issue 25, point 1): notify keeps each customer contact's and lead's email,
mobile and consent per channel from events, and the outbox sends marketing only with consent."""
from crm_common.consumer import deliver
from crm_common.testing.events import expect_events
from crm_common.testing.snapshots import contact
from notify.contacts import outbox, store

from .conftest import iso


def customer_with(feed, customer_id="C1", kind="created", **contact_fields):
    person = {**contact("Wang Fang", phones=["+861062345678", "+8613800138000"], emails=["wang@acme.cn"],
                        contact_id="K1"), **contact_fields}
    return feed.customer(customer_id, kind=kind, contacts=[person])


def queue(rt, key="step-1", marketing=True, channel="email", contact_id="K1"):
    return rt.transaction(lambda s: outbox.queue(rt, s, contact_id=contact_id, channel=channel, kind="nurture",
                                                 subject="News", body="Hello", marketing=marketing, key=key))


def test_a_customer_event_gives_each_contact_its_email_and_mobile_and_older_events_still_read(rt, feed):
    customer_with(feed)  # an older event: only the lists, no email/mobile fields
    kept = store.get(rt, "K1")
    assert (kept["kind"], kept["customer_id"], kept["name"]) == ("customer_contact", "C1", "Wang Fang")
    assert (kept["email"], kept["mobile"]) == ("wang@acme.cn", "+8613800138000")  # the landline takes no SMS
    customer_with(feed, kind="updated", email="fang@acme.cn", mobile="+8613900139000")
    kept = store.get(rt, "K1")
    assert (kept["email"], kept["mobile"]) == ("fang@acme.cn", "+8613900139000")
    feed.customer("C1", kind="updated", contacts=[])  # the customer dropped the contact
    assert store.get(rt, "K1")["removed"] is True
    assert queue(rt, marketing=False) == "no_address"


def test_a_leads_form_consent_is_its_consent_on_email_and_sms_and_goes_with_it_to_the_customer(rt, feed):
    feed.send("crm.lead.received", "L1", {
        "lead_id": "L1", "channel_id": "CH1", "channel": "web", "name": "Zhou Min", "phones": ["+8613700137000"],
        "emails": ["zhou@min.cn"], "wechat_ids": [], "received_at": iso(feed.now()), "score": 40, "bucket": "warm",
        "marketing_consent": True})
    lead = store.get(rt, "L1")
    assert {ch: (c["granted"], c["source"]) for ch, c in lead["consent"].items()} == {
        "email": (True, "lead_form"), "sms": (True, "lead_form")}
    feed.customer("C9", contacts=[contact("Zhou Min", phones=["+8613700137000"], emails=["zhou@min.cn"],
                                          contact_id="K9")], source_lead_id="L1")
    assert store.get(rt, "K9")["consent"]["email"]["granted"] is True
    assert queue(rt, contact_id="K9") == "queued"


def test_marketing_needs_consent_on_its_channel_is_capped_and_each_key_is_queued_once(rt, feed):
    customer_with(feed)
    assert queue(rt) == "no_consent"
    assert queue(rt, key="contract-sent", marketing=False) == "queued"  # transactional needs none
    rt.transaction(lambda s: store.set_consent(rt, s, "K1", "email", store.consent_entry(True, "phone", feed.now())))
    assert queue(rt, channel="sms") == "no_consent"  # consent is per channel
    assert [queue(rt, key=k) for k in ("s1", "s1", "s2", "s3")] == ["queued", "duplicate", "queued", "capped"]
    row = rt.db.deliveries.find_one({"key": "s1"})
    assert row["recipient"] == {"kind": "contact", "contact_id": "K1", "address": "wang@acme.cn"}
    assert (row["channel"], row["marketing"], row["status"]) == ("email", True, "pending")


def test_consent_is_recorded_and_read_through_the_api_by_who_may_see_the_customer(rt, client, feed, token_for):
    customer_with(feed)
    owner, other = token_for("rep-1"), token_for("rep-2")
    put = client.put("/v1/contacts/K1/consent", headers=owner,
                     json={"channel": "sms", "granted": True, "source": "phone call"})
    assert put.status_code == 200, put.json
    assert put.json["consent"]["sms"]["granted"] is True and put.json["consent"]["sms"]["source"] == "phone call"
    got = client.get("/v1/contacts/K1/consent", headers=owner).json
    assert got["consent"] == put.json["consent"] and got["sms_reachable"] is True
    assert client.get("/v1/contacts/K1/consent", headers=other).status_code == 404
    bad = client.put("/v1/contacts/K1/consent", headers=owner, json={"channel": "fax", "granted": True, "source": "x"})
    assert bad.status_code == 400 and [e["field"] for e in bad.json["errors"]] == ["channel"]
    assert client.get("/v1/contacts/nobody/consent", headers=owner).status_code == 404


def test_a_contacts_language_time_zone_and_primary_mark_are_kept_and_an_older_event_without_them_keeps_them(
        rt, feed):
    def listing(version, **fields):  # the snapshot version goes with the event's (Events counts them)
        return {"version": version, "contacts": [{**contact("Wang Fang", contact_id="K1"), **fields}]}
    feed.customer("C1", **listing(1, language="en", timezone="America/New_York", primary=True))
    kept = store.get(rt, "K1")
    assert (kept["language"], kept["timezone"], kept["primary"]) == ("en", "America/New_York", True)
    feed.customer("C1", kind="updated", **listing(2))  # an event of before contacts had them
    assert store.get(rt, "K1")["timezone"] == "America/New_York"
    feed.versions[("customer", "C1")] = 3  # version 3 is dead-lettered; 4 clears the fields
    feed.customer("C1", kind="updated", **listing(4, language=None, timezone=None, primary=False))
    feed.customer("C1", kind="updated", **listing(5, language=None, timezone=None, primary=False))  # nothing new
    kept = store.get(rt, "K1")
    assert (kept["language"], kept["timezone"], kept["primary"], kept["snapshot_version"]) == (None, None, False, 5)
    late = feed.rt.event("crm.customer.followed_up", "C1", {  # redriven: a fact fills its hole, its snapshot old
        **feed.snapshot("C1", **listing(3, timezone="Europe/London")), "followup_id": "F-late", "channel": "phone",
        "goal_met": True, "next_contact_at": None, "next_plan": "", "summary": "", "by": "rep-1",
        "followed_up_at": iso(feed.now())})
    late["version"] = 3
    assert deliver(rt, "notify", feed.handlers, late)
    assert store.get(rt, "K1")["timezone"] is None

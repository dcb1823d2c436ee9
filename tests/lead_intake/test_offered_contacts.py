"""A channel cannot poison de-duplication (issue 21): a resubmission's new contact methods are only offered
to the record it joins, until a user who sees the record confirms them."""
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from crm_common.testing.events import data_of, expect_events

KNOWN = "13800138000"


def submit(client, key, **lead):
    return client.post("/v1/leads", json=lead, headers=key)


def test_a_phone_a_resubmission_brought_does_not_make_a_new_prospect_a_duplicate(client, channel, rt, admin):
    first = submit(client, channel, name="Zhang Wei", phone=KNOWN).json
    # the reproduction: a known phone and a stranger's phone in one form ...
    assert submit(client, channel, name="Zhang Wei", phone=KNOWN, phones=["13900139111"]).status_code == 200
    # ... then the stranger arrives: a lead of their own, flagged for review against the record offered the phone
    genuine = submit(client, channel, name="Li Lei", phone="139 0013 9111")
    assert genuine.status_code == 201 and genuine.json["dedup"] == {"verdict": "possible_duplicate"}
    shown = client.get(f"/v1/leads/{genuine.json['id']}", headers=admin).json
    [candidate] = shown["dedup"]["candidates"]
    assert (candidate["id"], candidate["kind"], candidate["reason"]) == (first["id"], "lead", "offered_contact")
    assert candidate["compared"] == {"offered_keys": ["phone:+8613900139111"]}
    [review] = client.get("/v1/reviews", headers=admin).json["items"]
    assert review["lead_id"] == genuine.json["id"]
    # the phone is the new lead's own now: they come back as a duplicate of their own lead, not a third lead
    assert submit(client, channel, name="Li Lei", phone="13900139111").status_code == 200
    assert data_of(rt, "crm.lead.resubmitted")[-1]["record_id"] == genuine.json["id"]
    # and the known phone still finds the first record exactly
    assert submit(client, channel, name="Zhang Wei", phone=KNOWN).status_code == 200
    assert data_of(rt, "crm.lead.resubmitted")[-1]["record_id"] == first["id"]


def test_a_record_keeps_at_most_five_offered_methods(client, channel, rt, admin):
    first = submit(client, channel, name="Zhang Wei", phone=KNOWN).json
    emails = [f"z{n}@acme.cn" for n in range(8)]
    assert submit(client, channel, name="Zhang Wei", phone=KNOWN, emails=emails[:4]).status_code == 200
    assert submit(client, channel, name="Zhang Wei", phone=KNOWN, emails=emails[4:]).status_code == 200
    lead = client.get(f"/v1/leads/{first['id']}", headers=admin).json
    assert lead["offered_keys"] == [f"email:{e}" for e in emails[:5]]
    # every method is still on its touchpoint, for the owner to confirm
    points = client.get(f"/v1/leads/{first['id']}/touchpoints", headers=admin).json["items"]
    assert points[2]["offered_keys"] == [f"email:{e}" for e in emails[4:]]
    # the sixth is not pending on the record: a new person with it is simply new
    assert submit(client, channel, name="Other", email=emails[6]).json["dedup"] == {"verdict": "new"}
    assert submit(client, channel, name="Other2", email=emails[1]).json["dedup"] == {"verdict": "possible_duplicate"}


def test_a_user_confirms_an_offered_phone_and_it_finds_the_lead_from_then_on(client, channel, rt, admin, token_for):
    first = submit(client, channel, name="Zhang Wei", phone=KNOWN).json
    submit(client, channel, name="Zhang Wei", phone=KNOWN, phones=["13900139111"], email="zw@acme.cn")
    url = f"/v1/leads/{first['id']}/contact-methods:confirm"
    # only someone who sees the lead: a rep sees their own leads and the unassigned pool
    client.post(f"/v1/leads/{first['id']}/claim", headers=token_for("r1"))
    assert client.post(url, json={"phones": ["13900139111"]}, headers=token_for("r2")).status_code == 404
    with expect_events(rt, [("crm.lead.contact_methods_confirmed", {
            "lead_id": first["id"], "added_keys": ["phone:+8613900139111"], "by": "r1"})]):
        confirmed = client.post(url, json={"phones": ["139 0013 9111"]}, headers=token_for("r1"))
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["phones"] == ["+8613800138000", "+8613900139111"]
    assert confirmed.json["offered_keys"] == ["email:zw@acme.cn"]
    assert submit(client, channel, name="Zhang", phone="13900139111").status_code == 200
    assert data_of(rt, "crm.lead.resubmitted")[-1]["record_id"] == first["id"]
    # confirming again changes nothing; a method another record holds is refused, naming the field
    assert client.post(url, json={"phones": ["13900139111"]}, headers=token_for("r1")).status_code == 200
    other = submit(client, channel, name="Wu", email="wu@b.cn").json
    taken = client.post(url, json={"emails": ["wu@b.cn"]}, headers=token_for("r1"))
    assert taken.status_code == 409 and taken.json["errors"][0]["field"] == "emails"
    assert other["id"]
    bad = client.post(url, json={"phones": ["12"]}, headers=token_for("r1"))
    assert bad.status_code == 400 and bad.json["errors"][0]["field"].startswith("phones")
    empty = client.post(url, json={}, headers=token_for("r1"))
    assert empty.status_code == 400


def test_racing_submissions_of_one_phone_make_one_lead_whether_it_was_offered_or_not(client, new_channel, rt):
    channel, _ = new_channel(rate_limit_per_minute=10_000)
    submit(client, channel, name="Zhang Wei", phone=KNOWN)
    submit(client, channel, name="Zhang Wei", phone=KNOWN, phones=["13900139111"])
    start = Barrier(10)

    def race(phone):
        def one(_):
            start.wait(timeout=30)
            return submit(client, channel, name="Li Lei", phone=phone).status_code
        with ThreadPoolExecutor(max_workers=10) as pool:
            return sorted(pool.map(one, range(10)))

    assert race("13900139111") == [200] * 9 + [201]  # offered to the first lead: one new lead takes it
    assert race("13700137000") == [200] * 9 + [201]  # nobody's: unchanged
    assert rt.db.leads.count_documents({}) == 3


def test_the_check_before_a_call_names_the_record_a_phone_was_offered_to(client, channel, admin):
    first = submit(client, channel, name="Zhang Wei", phone=KNOWN).json
    submit(client, channel, name="Zhang Wei", phone=KNOWN, phones=["13900139111"])
    checked = client.post("/v1/leads:check", json={"phone": "13900139111"}, headers=admin).json
    assert checked["verdict"] == "possible_duplicate"
    assert [(c["id"], c["reason"]) for c in checked["candidates"]] == [(first["id"], "offered_contact")]


def test_a_merged_leads_methods_are_confirmed_on_its_survivor(client, channel, admin):
    first = submit(client, channel, name="Zhao", email="zhao@a.cn").json
    second = submit(client, channel, name="Qian", email="qian@a.cn").json
    client.post(f"/v1/leads/{second['id']}/merge", json={"into_id": first["id"]}, headers=admin)
    refused = client.post(f"/v1/leads/{second['id']}/contact-methods:confirm", json={"phones": ["13900139111"]},
                          headers=admin)
    assert refused.status_code == 409

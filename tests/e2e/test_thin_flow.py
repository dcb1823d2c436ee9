"""A lead flows through all five services, started as real processes on real servers."""
import itertools

import requests

from crm_common.testing.system import eventually

_numbers = itertools.count(13800138000)


def test_a_lead_becomes_a_customer_seen_by_every_service(system, admin_headers, new_channel):
    key = new_channel()
    national = str(next(_numbers))
    formatted = f"+86 {national[:3]}-{national[3:7]}-{national[7:]}"

    first = requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=10,
                          json={"name": "Zhang Wei", "phone": formatted, "company": "Acme Tech"})
    assert first.status_code == 201, first.text
    lead_id = first.json()["id"]
    assert first.json()["dedup"]["verdict"] == "new"

    again = requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=10,
                          json={"name": "Zhang Wei", "phone": national, "company": "Acme Tech"})
    assert again.status_code == 200, again.text
    dedup = again.json()["dedup"]
    assert dedup == {"verdict": "duplicate"}  # a channel learns nothing about the existing record

    converted = requests.post(system.url("lead-intake", f"/v1/leads/{lead_id}/convert"),
                              headers=admin_headers, timeout=10)
    assert converted.status_code == 200, converted.text
    assert converted.json()["status"] == "converted"

    def customer():
        page = requests.get(system.url("customer", "/v1/customers"), params={"source_lead_id": lead_id},
                            headers=admin_headers, timeout=10).json()
        return page["items"]
    customers = eventually(customer)
    assert len(customers) == 1, system.log_tail()
    customer_id = customers[0]["id"]
    assert customers[0]["contacts"][0]["phones"] == [f"+86{national}"]

    entries = eventually(lambda: requests.get(system.url("pool", "/v1/pool-entries"), timeout=10,
                                              params={"customer_id": customer_id}, headers=admin_headers).json()["items"])
    assert [e["status"] for e in entries] == ["owned"]

    inbox = eventually(lambda: [i for i in requests.get(system.url("notify", "/v1/inbox"), headers=admin_headers,
                                                        timeout=10).json()["items"] if i["customer_id"] == customer_id])
    assert [i["kind"] for i in inbox] == ["customer_assigned"]

    def funnel_count():
        stages = requests.get(system.url("reporting", "/v1/reports/funnel"), headers=admin_headers,
                              timeout=10).json()["stages"]
        return {s["stage"]: s["count"] for s in stages}["lead_acquired"]
    assert eventually(funnel_count) >= 1


def test_the_lead_converts_to_a_customer_that_blocks_new_leads_of_its_contact(system, admin_headers, new_channel):
    key = new_channel("landing-page")
    email = f"buyer{next(_numbers)}@example.com"
    lead = requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=10,
                         json={"name": "Li Na", "email": email}).json()
    requests.post(system.url("lead-intake", f"/v1/leads/{lead['id']}/convert"), headers=admin_headers, timeout=10)
    customer = eventually(lambda: requests.get(system.url("customer", "/v1/customers"), headers=admin_headers, timeout=10,
                                               params={"source_lead_id": lead["id"]}).json()["items"])[0]

    def held_by():
        found = requests.post(system.url("lead-intake", "/v1/leads:check"), headers=admin_headers, timeout=10,
                              json={"email": email}).json()
        return found.get("duplicate_of_kind") == "customer" and found
    assert eventually(held_by), "the converted lead's contact still points at the lead"
    again = requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=10,
                          json={"name": "Li Na", "email": email.upper()})
    assert again.status_code == 200 and again.json()["dedup"] == {"verdict": "duplicate"}  # the channel: verdict only
    assert held_by()["duplicate_of"] == customer["id"]  # an admin sees whose it is


def test_time_travel_reclaims_a_neglected_customer_and_tells_the_owner(system, admin_headers, new_channel):
    key = new_channel("trade-show")
    lead = requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=10,
                         json={"name": "Wang Fang", "phone": str(next(_numbers))}).json()
    requests.post(system.url("lead-intake", f"/v1/leads/{lead['id']}/convert"), headers=admin_headers, timeout=10)
    customer_id = eventually(lambda: requests.get(system.url("customer", "/v1/customers"), headers=admin_headers,
                                                  params={"source_lead_id": lead["id"]}, timeout=10).json()["items"])[0]["id"]
    assert eventually(lambda: requests.get(system.url("pool", "/v1/pool-entries"), headers=admin_headers,
                                           params={"customer_id": customer_id}, timeout=10).json()["items"])

    run = requests.post(system.url("pool", "/v1/dev/jobs/reclaim-due/run"), headers=admin_headers, timeout=20)
    assert run.status_code == 200, run.text
    still = requests.get(system.url("pool", "/v1/pool-entries"), headers=admin_headers,
                         params={"customer_id": customer_id}, timeout=10).json()["items"]
    assert still[0]["status"] == "owned"  # 0 days without follow-up: not yet

    moved = requests.post(system.url("pool", "/v1/dev/clock"), json={"offset_days": 8}, headers=admin_headers,
                          timeout=10)
    assert moved.status_code == 200 and moved.json()["offset_days"] == 8
    try:
        run = requests.post(system.url("pool", "/v1/dev/jobs/reclaim-due/run"), headers=admin_headers, timeout=20)
        assert run.status_code == 200  # the worker's own run may have reclaimed it a moment earlier
        entry = requests.get(system.url("pool", "/v1/pool-entries"), headers=admin_headers,
                             params={"customer_id": customer_id}, timeout=10).json()["items"][0]
        assert entry["status"] == "in_pool" and entry["owner_id"] is None
        told = eventually(lambda: [i for i in requests.get(system.url("notify", "/v1/inbox"), headers=admin_headers,
                                                           timeout=10).json()["items"]
                                   if i["customer_id"] == customer_id and i["kind"] == "customer_reclaimed"])
        assert len(told) == 1
    finally:
        requests.post(system.url("pool", "/v1/dev/clock"), json={"offset_days": 0}, headers=admin_headers, timeout=10)


def test_the_owner_is_told_when_their_customer_comes_back(system, admin_headers, new_channel):
    key = new_channel("wechat-mini-program")
    phone = str(next(_numbers))
    lead = requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=10,
                         json={"name": "Zhou Min", "phone": phone}).json()
    requests.post(system.url("lead-intake", f"/v1/leads/{lead['id']}/convert"), headers=admin_headers, timeout=10)
    again = requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=10,
                          json={"name": "Zhou Min", "phone": f"+86 {phone}"})
    assert again.status_code == 200
    told = eventually(lambda: [i for i in requests.get(system.url("notify", "/v1/inbox"), headers=admin_headers,
                                                       timeout=10).json()["items"] if i["kind"] == "lead_resubmitted"
                               and "wechat-mini-program" in i["title"]])
    assert len(told) == 1

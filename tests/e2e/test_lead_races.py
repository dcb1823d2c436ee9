"""Concurrent submissions of one person create exactly one lead: the database decides, not luck."""
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import requests

VARIANTS = ["13912345678", "139 1234 5678", "+86 139-1234-5678", "0086 13912345678", "+86-13912345678"]


def test_fifty_concurrent_posts_of_one_person_create_one_lead(system, admin_headers):
    channel = requests.post(system.url("lead-intake", "/v1/channels"), json={"name": "race"},
                            headers=admin_headers, timeout=10).json()
    key = {"X-API-Key": channel["api_key"]}
    start = Barrier(50)

    def submit(i):
        start.wait(timeout=30)
        return requests.post(system.url("lead-intake", "/v1/leads"), headers=key, timeout=60,
                             json={"name": "Chen Jie", "phone": VARIANTS[i % 5], "company": "Race Co"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(submit, range(50)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 49 + [201], [r.text for r in responses if r.status_code not in (200, 201)][:3]
    created = next(r.json()["id"] for r in responses if r.status_code == 201)
    # a channel is told the verdict only; the touchpoints show every duplicate landed on the one lead
    assert {r.json()["dedup"]["verdict"] for r in responses if r.status_code == 200} == {"duplicate"}
    lead = requests.get(system.url("lead-intake", f"/v1/leads/{created}"), headers=admin_headers, timeout=10).json()
    assert lead["touchpoints"] == 50 and lead["phones"] == ["+8613912345678"]


def test_concurrent_large_batches_naming_the_same_people_create_each_lead_once(system, admin_headers):
    """Large batches write one command per collection (lead_intake/intake/writes.py): the race is still decided
    by the unique keys, and the losing batches are planned again against the winner's leads."""
    channel = requests.post(system.url("lead-intake", "/v1/channels"), json={"name": "batch race"},
                            headers=admin_headers, timeout=10).json()
    key = {"X-API-Key": channel["api_key"]}
    people = [{"name": f"Person {n}", "phone": f"1371234{n:04d}"} for n in range(40)]
    start = Barrier(4)

    def submit(i):
        rows = [{**p, "phone": ("+86 " if i % 2 else "") + p["phone"]} for p in people]
        rows = rows[i * 10:] + rows[:i * 10]  # each batch in its own order
        start.wait(timeout=30)
        return requests.post(system.url("lead-intake", "/v1/leads:batch"), headers=key, timeout=120,
                             json={"leads": rows})

    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = [r.json() for r in pool.map(submit, range(4))]
    assert sum(r["created"] for r in reports) == 40, reports[0]
    created = {row["id"] for r in reports for row in r["results"] if row["status"] == 201}
    assert len(created) == 40
    for lead_id in list(created)[:5]:
        lead = requests.get(system.url("lead-intake", f"/v1/leads/{lead_id}"), headers=admin_headers,
                            timeout=10).json()
        assert lead["touchpoints"] == 4

"""The public pool over weeks of dev-clock time, all five services moved together."""
import itertools
from datetime import date

import pytest
import requests

from crm_common.testing.system import SERVICES, eventually, known_everywhere

_numbers = itertools.count(13600136000)
SLOW = 20  # seconds: a move crosses pool -> customer -> pool over Kafka


def call(system, method, service, path, headers, **kwargs):
    return requests.request(method, system.url(service, path), headers=headers, timeout=20, **kwargs)


@pytest.fixture(scope="module")
def team(system, admin_headers):
    """A department with three reps, and a VIP desk whose pool exempts A-level customers."""
    def department(name):
        return call(system, "POST", "customer", "/v1/departments", admin_headers, json={"name": name}).json()
    sales, vip = department("Pool sales"), department("VIP desk")
    out = {"vip_department": vip}
    for name, where in (("pia", sales), ("quinn", sales), ("ravi", sales), ("vera", vip)):
        user = call(system, "POST", "customer", "/v1/users", admin_headers, json={
            "username": name, "password": f"{name}-secret-pw", "role": "rep", "department_id": where["id"]})
        assert user.status_code == 201, user.text
        token = call(system, "POST", "customer", "/v1/auth/token", {},
                     json={"username": name, "password": f"{name}-secret-pw"}).json()["access_token"]
        out[name] = {"id": user.json()["id"], "headers": known_everywhere(system, {"Authorization": f"Bearer {token}"})}
    pool = call(system, "POST", "pool", "/v1/pools", admin_headers, json={
        "name": "VIP", "source_department_ids": [vip["id"]], "member_department_ids": [vip["id"]],
        "rules": {"levels": ["B", "C"]}})
    assert pool.status_code == 201, pool.text
    out["vip_pool"] = pool.json()
    return out


@pytest.fixture
def days(system, admin_headers):
    """Move every service's clock to `n` days from now; back to real time afterwards."""
    def move(n):
        for service in SERVICES:
            moved = call(system, "POST", service, "/v1/dev/clock", admin_headers, json={"offset_days": n})
            assert moved.status_code == 200, moved.text
    yield move
    move(0)


def new_customer(system, rep, **fields):
    phone = str(next(_numbers))  # and a contact name of its own: the same company and name would be a duplicate
    body = {"name": "Pool Co", "contacts": [{"name": f"Lin {phone[-4:]}", "phones": [phone]}], **fields}
    created = call(system, "POST", "customer", "/v1/customers", rep["headers"], json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def entry(system, admin_headers, customer_id):
    items = call(system, "GET", "pool", "/v1/pool-entries", admin_headers, params={"customer_id": customer_id})
    return (items.json()["items"] or [None])[0]


def tracked(system, admin_headers, customer_id):
    assert eventually(lambda: entry(system, admin_headers, customer_id), timeout=SLOW)


def run_reclaim(system, admin_headers):
    run = call(system, "POST", "pool", "/v1/dev/jobs/reclaim-due/run", admin_headers)
    assert run.status_code == 200, run.text
    return run.json()["result"]


def customer_state(system, admin_headers, customer_id):
    shown = call(system, "GET", "customer", f"/v1/customers/{customer_id}", admin_headers).json()
    return shown["owner_id"], shown["in_pool"], shown.get("pool_id")


def in_pool_everywhere(system, admin_headers, customer_id, pool_id="default"):
    return eventually(lambda: customer_state(system, admin_headers, customer_id) == (None, True, pool_id)
                      and (entry(system, admin_headers, customer_id) or {}).get("pending") is None, timeout=SLOW)


def claim(system, rep, customer_id, pool_id="default"):
    return call(system, "POST", "pool", f"/v1/pools/{pool_id}/customers/{customer_id}/claim", rep["headers"])


def test_a_neglected_customer_is_warned_on_day_5_and_reclaimed_after_8_days(system, admin_headers, team, days):
    pia = team["pia"]
    customer_id = new_customer(system, pia)
    tracked(system, admin_headers, customer_id)
    days(5.1)
    run_reclaim(system, admin_headers)
    warned = eventually(lambda: [i for i in call(system, "GET", "notify", "/v1/inbox", pia["headers"]).json()["items"]
                                 if i["customer_id"] == customer_id and i["kind"] == "reclaim_warning"], timeout=SLOW)
    assert len(warned) == 1
    assert customer_state(system, admin_headers, customer_id)[0] == pia["id"]
    days(8)
    run_reclaim(system, admin_headers)
    assert in_pool_everywhere(system, admin_headers, customer_id), system.log_tail()
    moves = call(system, "GET", "pool", "/v1/movements", admin_headers,
                 params={"customer_id": customer_id, "kind": "reclaim"}).json()["items"]
    assert [(m["rule"], m["state"], m["from_owner_id"]) for m in moves] == [("no_followup", "done", pia["id"])]


def test_claims_first_contact_cooldown_and_the_daily_limit(system, admin_headers, team, days):
    pia, quinn, ravi = team["pia"], team["quinn"], team["ravi"]
    ids = [new_customer(system, pia) for _ in range(5)]
    for customer_id in ids:
        tracked(system, admin_headers, customer_id)
    days(8)
    run_reclaim(system, admin_headers)
    for customer_id in ids:
        assert in_pool_everywhere(system, admin_headers, customer_id), system.log_tail()

    cooldown = claim(system, pia, ids[4])
    assert (cooldown.status_code, cooldown.json()["reason"]) == (409, "cooldown")   # pia lost it today
    claimed = claim(system, quinn, ids[0])
    assert claimed.status_code == 200, claimed.text
    assert eventually(lambda: customer_state(system, admin_headers, ids[0])[0] == quinn["id"], timeout=SLOW)

    assert [claim(system, ravi, c).status_code for c in ids[1:4]] == [200, 200, 200]
    fourth = claim(system, ravi, ids[4])
    assert (fourth.status_code, fourth.json()["reason"]) == (409, "daily_limit") and fourth.json()["retry_at"]

    days(10.1)  # quinn made no contact within 48 hours of the claim
    run_reclaim(system, admin_headers)
    assert in_pool_everywhere(system, admin_headers, ids[0]), system.log_tail()
    rules = [m["rule"] for m in call(system, "GET", "pool", "/v1/movements", admin_headers,
                                     params={"customer_id": ids[0], "kind": "reclaim"}).json()["items"]]
    assert rules == ["no_followup", "no_first_contact"]
    days(14.9)
    assert claim(system, pia, ids[4]).json()["reason"] == "cooldown"
    days(15.1)  # 7 days after pia lost it
    assert claim(system, pia, ids[4]).status_code == 200


def test_an_a_level_customer_in_a_pool_exempting_a_and_a_signed_customer_are_never_reclaimed(
        system, admin_headers, team, days):
    vera, pia = team["vera"], team["pia"]
    vip_a = new_customer(system, vera, level="A")
    signed = new_customer(system, pia)
    contract = call(system, "POST", "customer", f"/v1/customers/{signed}/contracts", pia["headers"], json={
        "title": "Year one", "amount": 10000, "start_date": date.today().isoformat(), "end_date": "2030-01-01"})
    assert contract.status_code == 201, contract.text
    assert eventually(lambda: (entry(system, admin_headers, signed) or {}).get("lifecycle") == "signed", timeout=SLOW)
    # vip_a's events travel on another partition than signed's: no order between them, so wait for it too
    assert eventually(lambda: (entry(system, admin_headers, vip_a) or {}).get("pool_id") == team["vip_pool"]["id"],
                      timeout=SLOW)
    days(400)
    run_reclaim(system, admin_headers)
    for customer_id, owner in ((vip_a, vera), (signed, pia)):
        assert entry(system, admin_headers, customer_id)["status"] == "owned"
        assert customer_state(system, admin_headers, customer_id)[0] == owner["id"]


def test_twenty_reps_claiming_one_customer_over_http_make_one_owner(system, admin_headers, team, days):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    department = call(system, "POST", "customer", "/v1/departments", admin_headers, json={"name": "Racers"}).json()
    racers = []
    for n in range(20):
        name = f"racer{n}"
        user = call(system, "POST", "customer", "/v1/users", admin_headers, json={
            "username": name, "password": f"{name}-secret-pw", "role": "rep", "department_id": department["id"]})
        token = call(system, "POST", "customer", "/v1/auth/token", {},
                     json={"username": name, "password": f"{name}-secret-pw"}).json()["access_token"]
        headers = known_everywhere(system, {"Authorization": f"Bearer {token}"})
        racers.append({"id": user.json()["id"], "headers": headers})
    customer_id = new_customer(system, team["pia"])
    tracked(system, admin_headers, customer_id)
    days(8)
    run_reclaim(system, admin_headers)
    assert in_pool_everywhere(system, admin_headers, customer_id), system.log_tail()
    start = Barrier(20)

    def race(rep):
        start.wait(timeout=30)
        return claim(system, rep, customer_id)
    for rep in racers:  # the pool hears of new users over crm.org a moment after the customer service
        assert eventually(lambda: call(system, "GET", "pool", "/v1/pools/default/customers", rep["headers"])
                          .status_code == 200, timeout=SLOW)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(race, racers))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 19, [a.text for a in answers]
    assert {a.json()["reason"] for a in answers if a.status_code == 409} == {"taken"}
    winner = next(a.json()["owner_id"] for a in answers if a.status_code == 200)
    assert eventually(lambda: customer_state(system, admin_headers, customer_id)[0] == winner, timeout=SLOW)

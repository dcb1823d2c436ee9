"""Reminders across the running system, every service's clock moved together (issue 10, point 9):
a customer created in the customer service reaches notify through Kafka; its cadence falls due, then
the overdue reminder climbs to the rep's supervisor and on to the department manager. And every
other timed kind: cadence for A, B and C, next contact, renewal at 90/60/30 days, a birthday, quiet
hours holding a robot message, and a parked delivery an admin retries."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from crm_common.testing.system import eventually, known_everywhere

SERVICES = ("lead-intake", "customer", "pool", "notify", "reporting")


def call(system, method, service, path, headers, **kwargs):
    return requests.request(method, system.url(service, path), headers=headers, timeout=20, **kwargs)


def login(system, username, password):
    token = call(system, "POST", "customer", "/v1/auth/token", {}, json={"username": username, "password": password})
    assert token.status_code == 200, token.text
    return known_everywhere(system, {"Authorization": f"Bearer {token.json()['access_token']}"})


@pytest.fixture
def clocks(system, admin_headers):
    def move(delta: timedelta):
        for service in SERVICES:
            moved = call(system, "POST", service, "/v1/dev/clock", admin_headers,
                         json={"offset_days": delta / timedelta(days=1)})
            assert moved.status_code == 200, (service, moved.text)
        ran = call(system, "POST", "notify", "/v1/dev/jobs/reminders-due/run", admin_headers)
        assert ran.status_code == 200, ran.text
    yield move
    for service in SERVICES:
        call(system, "POST", service, "/v1/dev/clock", admin_headers, json={"offset_days": 0})


def kinds(system, headers):
    return [(i["kind"], i["customer_id"]) for i in call(system, "GET", "notify", "/v1/inbox", headers).json()["items"]]


def team(system, admin_headers, names):
    """A department with a manager, a supervisor and a rep: {name: (user id, auth headers)}."""
    department = call(system, "POST", "customer", "/v1/departments", admin_headers,
                      json={"name": f"Team {names[0]}", "parent_id": None}).json()
    people = {}
    for name, role, boss in zip(names, ("manager", "rep", "rep"), (None, names[0], names[1])):
        made = call(system, "POST", "customer", "/v1/users", admin_headers, json={
            "username": name, "password": f"{name}-secret-pw", "role": role, "department_id": department["id"],
            "supervisor_id": people.get(boss, (None,))[0]})
        assert made.status_code == 201, made.text
        people[name] = (made.json()["id"], login(system, name, f"{name}-secret-pw"))
    return people


def test_cadence_then_escalation_to_the_supervisor_and_the_manager(system, admin_headers, clocks):
    changing = {**admin_headers, "If-Match": "*"}  # the reminder settings exist (their defaults)
    settings = call(system, "PUT", "notify", "/v1/settings/reminders", changing,
                    json={"escalation_second_step_days": 1})  # before the pool's own reclaim rules act
    assert settings.status_code == 200, settings.text
    department = call(system, "POST", "customer", "/v1/departments", admin_headers,
                      json={"name": "Key accounts", "parent_id": None}).json()
    people = {}
    for name, role, boss in (("meg", "manager", None), ("sam", "rep", "meg"), ("ria", "rep", "sam")):
        made = call(system, "POST", "customer", "/v1/users", admin_headers, json={
            "username": name, "password": f"{name}-secret-pw", "role": role, "department_id": department["id"],
            "supervisor_id": people.get(boss)})
        assert made.status_code == 201, made.text
        people[name] = made.json()["id"]
    heads = {name: login(system, name, f"{name}-secret-pw") for name in people}
    customer = call(system, "POST", "customer", "/v1/customers", heads["ria"], json={"name": "Tianjin Steel",
                                                                                      "level": "A"})
    assert customer.status_code == 201, customer.text
    cid = customer.json()["id"]
    assert eventually(lambda: ("customer_assigned", cid) in kinds(system, heads["ria"]), timeout=15)
    try:
        clocks(timedelta(days=3, hours=1))
        assert ("cadence", cid) in kinds(system, heads["ria"])
        assert ("overdue", cid) not in kinds(system, heads["sam"])
        clocks(timedelta(days=4, hours=2))
        assert ("overdue", cid) in kinds(system, heads["sam"]) and kinds(system, heads["meg"]) == []
        clocks(timedelta(days=5, hours=3))
        assert kinds(system, heads["meg"]) == [("overdue", cid)]
    finally:
        call(system, "PUT", "notify", "/v1/settings/reminders", changing, json={"escalation_second_step_days": 3})


def test_every_timed_kind_quiet_hours_and_a_parked_delivery_with_all_clocks_moved(system, admin_headers, clocks):
    changing = {**admin_headers, "If-Match": "*"}  # the reminder settings exist (their defaults)
    from tests.notify.receivers import HttpReceiver
    receiver = HttpReceiver()
    settings = call(system, "PUT", "notify", "/v1/settings/reminders", changing, json={"retry_seconds": [1, 1]})
    assert settings.status_code == 200, settings.text
    try:
        _every_timed_kind(system, admin_headers, clocks, receiver)
    finally:
        call(system, "PUT", "notify", "/v1/settings/reminders", changing,
             json={"retry_seconds": [5, 300, 1800, 7200]})
        receiver.close()


def _every_timed_kind(system, admin_headers, clocks, receiver):
    people = team(system, admin_headers, ("mona", "sid", "rob"))
    rob_id, rob = people["rob"]
    shanghai = ZoneInfo("Asia/Shanghai")
    start = datetime.now(shanghai)

    def at(days, hhmm):
        """The clock offset that makes it `hhmm` in Shanghai `days` days from the start."""
        return datetime.combine((start + timedelta(days=days)).date(), time.fromisoformat(hhmm), shanghai) - start

    allowed = call(system, "PUT", "notify", "/v1/settings/outbound", {**admin_headers, "If-Match": "*"},
                   json={"allowed_private_hosts": ["127.0.0.1"]})  # the local receiver is loopback
    assert allowed.status_code == 200, allowed.text
    for kind, path in (("wecom", "/wecom?key=K"), ("webhook", "/hook")):
        made = call(system, "POST", "notify", "/v1/robots", admin_headers, json={
            "name": kind, "kind": kind, "url": receiver.url + path, "secret": "whsec_c2VjcmV0LXNlY3JldA==",
            "user_ids": [rob_id], "department_ids": []})
        assert made.status_code == 201, made.text
    prefs = call(system, "PUT", "notify", "/v1/preferences/me", rob, json={
        "channels": {"default": ["inbox"], "renewal": ["inbox", "robot"], "birthday": ["inbox", "webhook"]},
        "language": "en", "quiet_hours": {"start": "08:00", "end": "10:30"}})  # renewals fire at 09:00
    assert prefs.status_code == 200, prefs.text

    ids = {}
    for level in ("A", "B", "C"):
        contacts = [{"name": "Wei", "phone": f"+861390000{ord(level):04d}"}]
        if level == "A":
            contacts[0]["birthday"] = (start + timedelta(days=4)).date().replace(year=1990).isoformat()
        made = call(system, "POST", "customer", "/v1/customers", rob, json={"name": f"Level {level} Co",
                                                                           "level": level, "contacts": contacts})
        assert made.status_code == 201, made.text
        ids[level] = made.json()["id"]
        end = (start + timedelta(days=92)).date() if level == "C" else date(start.year + 2, 6, 1)
        signed = call(system, "POST", "customer", f"/v1/customers/{ids[level]}/contracts", rob, json={
            "title": f"Deal {level}", "amount": 10000, "start_date": start.date().isoformat(),
            "end_date": end.isoformat()})  # signed customers stay out of the pool's reclaim rules
        assert signed.status_code == 201, signed.text
    followed = call(system, "POST", "customer", f"/v1/customers/{ids['B']}/followups", rob, json={
        "channel": "phone", "content": "Asked for a demo", "goal_met": True, "next_plan": "show the demo",
        "next_contact_at": (start + timedelta(days=1)).isoformat()})
    assert followed.status_code == 201, followed.text
    assert eventually(lambda: len(kinds(system, rob)) >= 3, timeout=15)

    def reach(offset, kind, customer):
        """Move every clock to `offset` and run the pass until notify has heard all it needs."""
        def arrived():
            clocks(offset)
            return (kind, customer) in kinds(system, rob)
        assert eventually(arrived, timeout=20, interval=1), (kind, customer, kinds(system, rob))

    def renewals():
        items = call(system, "GET", "notify", "/v1/inbox?kind=renewal", rob).json()["items"]
        return sorted(i["facts"]["days_before"] for i in items)

    reach(timedelta(days=1, minutes=30), "next_contact", ids["B"])
    reach(at(2, "09:10"), "renewal", ids["C"])  # 90 days before the end, inside rob's quiet hours
    assert renewals() == [90] and ("cadence", ids["A"]) not in kinds(system, rob)
    held = call(system, "GET", "notify", "/v1/deliveries?channel=robot&status=pending", admin_headers).json()
    assert len(held["items"]) == 1 and receiver.at("/wecom") == []  # the robot message waits, the inbox did not
    clocks(at(2, "10:35"))
    assert eventually(lambda: len(receiver.at("/wecom")) == 1, timeout=10)
    assert "Contract renewal" in receiver.at("/wecom")[0]["json"]["markdown"]["content"]

    reach(timedelta(days=3, hours=1), "cadence", ids["A"])
    receiver.fail = 3  # the birthday's webhook fails, is retried, and is parked
    reach(at(4, "12:00"), "birthday", ids["A"])

    def parked():
        return call(system, "GET", "notify", "/v1/deliveries?status=parked&channel=webhook", admin_headers).json()
    assert eventually(lambda: parked()["items"], timeout=20)
    [row] = parked()["items"]
    assert row["kind"] == "birthday" and row["last_error"] and len(receiver.at("/hook")) == 3
    retried = call(system, "POST", "notify", f"/v1/deliveries/{row['id']}/retry", admin_headers)
    assert retried.status_code == 200, retried.text
    assert eventually(lambda: len(receiver.at("/hook")) == 4, timeout=10)
    assert receiver.at("/hook")[-1]["json"]["data"]["kind"] == "birthday"

    reach(timedelta(days=7, hours=1), "cadence", ids["B"])
    reach(timedelta(days=30, hours=1), "cadence", ids["C"])
    reach(at(32, "12:00"), "renewal", ids["C"])
    assert renewals() == [60, 90]
    reach(at(62, "12:00"), "renewal", ids["C"])
    assert renewals() == [30, 60, 90]
    assert eventually(lambda: len(receiver.at("/wecom")) == 3, timeout=10)

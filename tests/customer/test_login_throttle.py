"""Issue 12: login is limited per username and per client address, and a burst of password checks
cannot keep every worker hashing."""
import threading
import time

from crm_common.clock import FixedClock
from customer.org import login, users


def attempt(client, username, address="10.0.0.1", password="wrong-password"):
    return client.post("/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_attempts_past_the_limit_per_username_get_429_with_retry_after(app, rt, monkeypatch):
    rt.clock = FixedClock(rt.clock.now())  # one rate window for the whole test
    monkeypatch.setattr(login, "PER_USERNAME_PER_MINUTE", 3)
    client = app.test_client()
    assert [attempt(client, "admin", f"10.0.0.{n}").status_code for n in range(3)] == [401] * 3
    limited = attempt(client, "admin", "10.0.0.99", password="admin-test-password")  # even the right password
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert attempt(client, "someone-else").status_code == 401  # another username is not held back


def test_attempts_past_the_limit_per_address_get_429(app, rt, monkeypatch):
    rt.clock = FixedClock(rt.clock.now())
    monkeypatch.setattr(login, "PER_ADDRESS_PER_MINUTE", 3)
    client = app.test_client()
    assert [attempt(client, f"guess{n}", "10.0.0.7").status_code for n in range(3)] == [401] * 3
    limited = attempt(client, "guess-more", "10.0.0.7")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert attempt(client, "guess-more", "10.0.0.8").status_code == 401


def forwarded(client, username, address):
    return client.post("/v1/auth/token", json={"username": username, "password": "wrong-password"},
                       headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.9.9.9"})


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_limited(app_for, monkeypatch):
    from customer.app import create_app
    behind_ingress = app_for(create_app, "customer", TRUSTED_PROXY_HOPS="1")
    behind_ingress.extensions["crm"].clock = FixedClock(behind_ingress.extensions["crm"].clock.now())
    monkeypatch.setattr(login, "PER_ADDRESS_PER_MINUTE", 3)
    client = behind_ingress.test_client()
    assert [forwarded(client, f"guess{n}", "203.0.113.5").status_code for n in range(3)] == [401] * 3
    assert forwarded(client, "guess-more", "203.0.113.5").status_code == 429
    assert forwarded(client, "guess-more", "203.0.113.6").status_code == 401  # another client, same ingress


def test_without_a_trusted_proxy_a_forwarded_address_is_not_believed(app, rt, monkeypatch):
    rt.clock = FixedClock(rt.clock.now())
    monkeypatch.setattr(login, "PER_ADDRESS_PER_MINUTE", 3)
    client = app.test_client()
    assert [forwarded(client, f"guess{n}", f"198.51.100.{n}").status_code for n in range(3)] == [401] * 3
    assert forwarded(client, "guess-more", "198.51.100.77").status_code == 429  # a made-up header buys nothing


def test_password_checks_run_at_most_the_cap_at_once_and_a_burst_beyond_gets_503(app, monkeypatch):
    monkeypatch.setattr(login, "PASSWORD_CHECK_SLOTS", 1)
    running, most, lock = [0], [0], threading.Lock()
    real_check = users.check_password_hash

    def slow_check(stored, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.3)  # scrypt under load
        try:
            return real_check(stored, password)
        finally:
            with lock:
                running[0] -= 1
    monkeypatch.setattr(users, "check_password_hash", slow_check)

    answers = []

    def one(n):
        answers.append(attempt(app.test_client(), f"burst{n}", f"10.0.1.{n}"))
    threads = [threading.Thread(target=one, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    statuses = sorted(a.status_code for a in answers)
    assert 401 in statuses and 503 in statuses, statuses
    assert all(a.headers.get("Retry-After") == "1" for a in answers if a.status_code == 503)

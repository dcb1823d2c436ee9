"""Issue 12: a deactivated user's token stops working on all five services within seconds,
carried by crm.user.updated over the real broker to each service's worker."""
import time

import requests

from crm_common.testing.system import eventually

# One read each service answers to any signed-in user.
READS = {"customer": "/v1/customers", "lead-intake": "/v1/leads", "pool": "/v1/pool-entries",
         "notify": "/v1/inbox", "reporting": "/v1/workbench"}


def status(system, service, headers):
    return requests.get(system.url(service, READS[service]), headers=headers, timeout=10).status_code


def test_a_deactivated_users_token_is_refused_everywhere_within_seconds(system, admin_headers):
    user = requests.post(system.url("customer", "/v1/users"), headers=admin_headers, timeout=10, json={
        "username": "leaver", "password": "leaver-secret-pw", "role": "rep"})
    assert user.status_code == 201, user.text
    login = requests.post(system.url("customer", "/v1/auth/token"), timeout=10,
                          json={"username": "leaver", "password": "leaver-secret-pw"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert {s: status(system, s, headers) for s in READS} == {s: 200 for s in READS}

    deactivated = requests.post(system.url("customer", f"/v1/users/{user.json()['id']}/deactivate"),
                                headers=admin_headers, timeout=10)
    assert deactivated.status_code == 200, deactivated.text
    started = time.monotonic()
    for service in READS:
        refused = eventually(lambda: status(system, service, headers) == 401, timeout=5)
        assert refused, f"{service} still accepts the deactivated user's token after 5 s\n{system.log_tail()}"
    assert time.monotonic() - started < 5

"""Issue 21, point 9: the last-admin rule holds when two admins deactivate each other at the same
moment. Each request checks that another active admin remains; without a shared guard both checks
pass on their own snapshots and both commit, leaving the organisation with no admin at all."""
import threading
from concurrent.futures import ThreadPoolExecutor

from customer.org import users


def test_two_concurrent_deactivations_of_the_last_two_admins_leave_one_admin(org, client, rt, monkeypatch):
    first = rt.db.users.find_one({"username": "admin"})["_id"]
    second = org.user("second_admin", "admin", None)["id"]
    # Both requests pass the check before either writes: the moment a race would hit.
    both_checked = threading.Barrier(2, timeout=1)
    checked = users._last_active_admin

    def check_then_wait(rt_, session, user_id):
        answer = checked(rt_, session, user_id)
        try:
            both_checked.wait()
        except threading.BrokenBarrierError:
            pass  # guarded, the other request cannot get this far until this one commits
        return answer
    monkeypatch.setattr(users, "_last_active_admin", check_then_wait)

    def deactivate(user_id, by):
        return app_client(client).post(f"/v1/users/{user_id}/deactivate", headers=by).status_code
    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(deactivate, (first, second), (org.headers["second_admin"], org.admin)))
    assert answers == [200, 409]
    assert rt.db.users.count_documents({"role": "admin", "active": True}) == 1


def app_client(client):
    return client.application.test_client()  # one client per thread

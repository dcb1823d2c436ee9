"""Issue 12: a deactivated or changed user is refused at once, whatever their token says."""
from crm_common.auth import Principal, issue_token
from crm_common import tokens


def bearer(rt, version):
    token = issue_token(rt.settings.jwt_secret, Principal("u1", "u1", "manager", ["d1"], version), 600)
    return {"Authorization": f"Bearer {token}"}


def user_event(rt, kind, version, active=True):
    # the data as the customer service will send it once it carries token_version
    return {"type": f"crm.user.{kind}", "subject": "u1", "data": {
        "user_id": "u1", "role": "rep", "active": active, "department_path": ["d1"], "token_version": version}}


def test_an_older_token_or_a_deactivated_user_is_refused(client, rt):
    unknown = client.get("/v1/leads", headers=bearer(rt, 0))  # no crm.user.* event yet: it may be deactivated already
    assert unknown.status_code == 401 and "not learnt of the user" in unknown.json["detail"]
    rt.transaction(lambda s: tokens.user_changed(rt, s, user_event(rt, "created", 0)))
    assert client.get("/v1/leads", headers=bearer(rt, 0)).status_code == 200
    rt.transaction(lambda s: tokens.user_changed(rt, s, user_event(rt, "updated", 1)))
    refused = client.get("/v1/leads", headers=bearer(rt, 0))
    assert refused.status_code == 401 and "sign in again" in refused.json["detail"]
    assert client.get("/v1/leads", headers=bearer(rt, 1)).status_code == 200
    rt.transaction(lambda s: tokens.user_changed(rt, s, user_event(rt, "deactivated", 1, active=False)))
    assert client.get("/v1/leads", headers=bearer(rt, 1)).status_code == 401

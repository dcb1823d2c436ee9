"""Issue 12, point 6: every service refuses an oversized value with a 400 naming it, even in a
field whose schema forgot a limit, and a body nested deep enough to exhaust the parser's stack."""
import io

import pytest

from crm_common import limits
from crm_common.testing.auth import signed_in
from customer.app import create_app as customer_app
from lead_intake.app import create_app as lead_intake_app
from notify.app import create_app as notify_app
from pool.app import create_app as pool_app
from reporting.app import create_app as reporting_app

LONG_QUERY = "x" * (limits.MAX_QUERY_VALUE_CHARS + 1)
# One read per service with a query field that has no length of its own.
READS = [(customer_app, "customer", "/v1/customers", "tag"),
         (lead_intake_app, "lead-intake", "/v1/leads", "owner_id"),
         (pool_app, "pool", "/v1/movements", "user_id"),
         (notify_app, "notify", "/v1/inbox", "kind"),
         (reporting_app, "reporting", "/v1/reports/funnel", "campaign")]


def admin_of(client):
    """The customer service knows only the users it holds: its first admin signs in."""
    token = client.post("/v1/auth/token", json={"username": "admin", "password": "admin-test-password"})
    return {"Authorization": f"Bearer {token.json['access_token']}"}


@pytest.mark.parametrize("create_app,service,path,field", READS, ids=[r[1] for r in READS])
def test_an_oversized_query_value_is_refused_by_name(app_for, create_app, service, path, field):
    app = app_for(create_app, service)
    client = app.test_client()
    headers = admin_of(client) if service == "customer" else signed_in(app.extensions["crm"])
    assert client.get(path, query_string={field: "x"}, headers=headers).status_code == 200
    refused = client.get(path, query_string={field: LONG_QUERY}, headers=headers)
    assert refused.status_code == 400 and refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json["errors"][0]["field"] == field


def test_a_long_string_in_a_field_without_its_own_limit_is_refused(app_for):
    app = app_for(notify_app, "notify")
    body = {"host": "smtp.example.cn", "port": 25, "from": "crm@example.cn",
            "username": "u" * (limits.MAX_STRING_CHARS + 1), "password": None}
    refused = app.test_client().put("/v1/settings/smtp", json=body, headers=signed_in(app.extensions["crm"]))
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "username"


def test_a_deeply_nested_body_is_a_400_not_a_crash(app_for):
    app = app_for(customer_app, "customer")
    nested = "[" * 50_000 + "]" * 50_000  # well under the body size limit
    body = '{"name": "Deep", "invoice_info": ' + nested + "}"
    refused = app.test_client().post("/v1/customers", data=body, content_type="application/json",
                                     headers=signed_in(app.extensions["crm"]))
    assert refused.status_code == 400, refused.data[:300]


def chunked(client, path, body: bytes, headers):
    """POST `body` with no Content-Length, as gunicorn hands a chunked request on (its stream ends itself)."""
    return client.post(path, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                       headers={**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"})


def test_a_chunked_body_is_held_to_the_same_size_and_depth_limits(app_for):
    """Issue 21, point 9: a chunked body skipped the limits (it declares no length): a deep one answered 500."""
    app = app_for(lead_intake_app, "lead-intake")
    client, admin = app.test_client(), signed_in(app.extensions["crm"])
    deep = chunked(client, "/v1/channels", b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", admin)
    assert deep.status_code == 400 and "nested deeper" in deep.json["errors"][0]["message"]
    long = chunked(client, "/v1/channels", b'{"name": "' + b"x" * (limits.MAX_STRING_CHARS + 1) + b'"}', admin)
    assert long.status_code == 400 and long.json["errors"][0]["field"] == "name"
    # past the body limit it would reach the route cut short at 1 MiB: too large, as with a declared length
    big = chunked(client, "/v1/channels", b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', admin)
    assert big.status_code == 413 and big.mimetype == "application/problem+json"
    fine = chunked(client, "/v1/channels", b'{"name": "Expo 2026"}', admin)
    assert fine.status_code == 201 and fine.json["name"] == "Expo 2026"
    assert app.extensions["crm"].db.channels.count_documents({}) == 1

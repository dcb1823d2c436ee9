"""Issue 12: secrets, log redaction, CSV cells and security headers."""
import json
import logging

import pytest
from flask import Flask, jsonify

from crm_common import csvio, headers, logs, secrets_policy


@pytest.mark.parametrize("secret, password, problem", [
    ("short", "a-good-admin-password", "at least 32 bytes"),
    ("replace-with-a-long-random-secret-from-deploy-k8s", "a-good-admin-password", "placeholder"),
    ("x" * 32, "short", "CRM_ADMIN_PASSWORD"),
    ("x" * 32, "replace-with-the-first-admin-password", "placeholder"),
])
def test_outside_dev_weak_or_placeholder_secrets_refuse_to_start(secret, password, problem):
    with pytest.raises(secrets_policy.WeakSecret, match=problem):
        secrets_policy.check("prod", secret, password)
    secrets_policy.check("dev", secret, password)  # dev and test keep their conveniences
    secrets_policy.check("prod", "k" * 32, "a-good-admin-password")


def test_a_log_line_never_shows_a_mongo_uri_password():
    record = logging.LogRecord("crm", logging.WARNING, __file__, 1, "cannot reach %s", (
        "mongodb://crm:s3cr%40t-pass@db1:27017,db2/crm?replicaSet=rs0",), None)
    line = logs.JsonFormatter("customer").format(record)
    assert "s3cr" not in line and "mongodb://crm:***@db1:27017" in json.loads(line)["msg"]


def test_every_exported_cell_is_escaped_joined_lists_included():
    assert csvio.cell(["=cmd|' /C calc'!A0", "x"]) == "'=cmd|' /C calc'!A0;x"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csvio.cell(start + "1") == "'" + start + "1"
    assert csvio.cell(["a", "b"]) == "a;b" and csvio.cell(None) == ""


def test_nosniff_everywhere_and_no_store_on_token_answers():
    app = Flask("t")
    app.after_request(headers.secure)
    app.add_url_rule("/v1/auth/token", "token", lambda: jsonify(access_token="t"), methods=["POST"])
    app.add_url_rule("/v1/x", "x", lambda: jsonify(a=1))
    client = app.test_client()
    token = client.post("/v1/auth/token")
    assert token.headers["Cache-Control"] == "no-store" and token.headers["X-Content-Type-Options"] == "nosniff"
    other = client.get("/v1/x")
    assert other.headers["X-Content-Type-Options"] == "nosniff" and "Cache-Control" not in other.headers


def test_the_docs_page_assets_are_served_locally():
    app = Flask("t")
    headers.serve_docs_assets(app)
    assert app.config["OPENAPI_SWAGGER_UI_URL"] == "/docs-assets/"
    bundle = app.test_client().get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.data) > 100_000

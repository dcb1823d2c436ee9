"""The Flask base every service is built on, seen through one real service (pool)."""
import re

import pytest

from crm_common import outbox
from crm_common.testing.auth import signed_in
from pool.app import create_app

PROBLEM = "application/problem+json"


@pytest.fixture
def app(settings_for):
    app = create_app(settings_for("pool"))

    def explode():
        raise RuntimeError("internal detail: password=hunter2")
    app.add_url_rule("/test-only/explode", "explode", explode)  # a test-only route, before any request
    yield app
    app.extensions["crm"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_mongodb_and_kafka(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"mongodb": "ok", "kafka": "ok"}}


def test_metrics_are_prometheus_text_with_request_latency(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert 'http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 1.0' in text
    backlog = outbox.backlog(client.application.extensions["crm"].db)  # the start queued the default pool's event
    assert f"outbox_backlog {float(backlog)}" in text


def test_a_given_request_id_is_echoed(client):
    response = client.get("/nowhere", headers={"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42" and response.json["request_id"] == "req-42"


def test_a_request_id_is_generated_when_none_is_given(client):
    first, second = client.get("/healthz").headers["X-Request-ID"], client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.parametrize("method, path, status, title", [
    ("get", "/nowhere", 404, "Not Found"), ("post", "/healthz", 405, "Method Not Allowed")])
def test_routing_errors_are_problem_json(client, method, path, status, title):
    response = getattr(client, method)(path)
    assert response.status_code == status and response.mimetype == PROBLEM
    assert response.json["status"] == status and response.json["title"] == title


def test_a_bad_query_parameter_is_400_naming_the_field(client, app):
    response = client.get("/v1/pool-entries?limit=0&status=lost", headers=signed_in(app.extensions["crm"]))
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.json["status"] == 400
    assert {e["field"] for e in response.json["errors"]} == {"limit", "status"}


def test_an_unexpected_error_is_500_problem_json_without_internals(client):
    response = client.get("/test-only/explode", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500 and response.mimetype == PROBLEM
    assert response.json["status"] == 500 and response.json["request_id"] == "req-500"
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "hunter2" not in body and "RuntimeError" not in body


def test_a_missing_token_is_401_problem_json(client):
    response = client.get("/v1/pool-entries")
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_openapi_describes_the_service(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "CRM pool"
    assert "get" in spec["paths"]["/v1/pool-entries"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_the_docs_page_is_html(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "swagger" in response.get_data(as_text=True).lower()


def test_every_answer_says_nosniff_and_the_docs_page_loads_its_assets_from_the_service(client):
    assert client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/docs").get_data(as_text=True)
    assert "cdn." not in page and "/docs-assets/" in page
    script = re.search(r'src="(/docs-assets/[^"]+\.js)"', page).group(1)
    assert client.get(script).status_code == 200

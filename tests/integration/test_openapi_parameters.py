"""Issue 21, point 9: every query parameter a route reads is declared in its service's OpenAPI.

A parameter missing from /openapi.json is one no client learns of and no fuzzer tries (the
workbench read `stalled_days`, and a huge one answered 500). Each service's GET routes are called
as an admin with a query string that records every name the code asks it for (whether by the
declared arguments' parser or by a view reading `request.args` itself); each name read must be a
query parameter of that operation in the document.
"""
import re

import pytest
from werkzeug.datastructures import ImmutableMultiDict

from crm_common.testing.auth import signed_in
from customer.app import create_app as customer_app
from lead_intake.app import create_app as lead_intake_app
from notify.app import create_app as notify_app
from pool.app import create_app as pool_app
from reporting.app import create_app as reporting_app

SERVICES = [(customer_app, "customer"), (lead_intake_app, "lead-intake"), (pool_app, "pool"),
            (notify_app, "notify"), (reporting_app, "reporting")]
# Served beside the API, not part of it: health, metrics, the documents themselves and their page.
OUTSIDE_THE_API = {"/healthz", "/readyz", "/livez", "/metrics", "/openapi.json", "/asyncapi.json"}

read_names: list = []


class RecordingArgs(ImmutableMultiDict):
    """request.args that notes each name asked for (iterating, as the size limits do, asks for none)."""

    def __getitem__(self, key):
        read_names.append(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's own signature
        read_names.append(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        read_names.append(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        read_names.append(key)
        return super().__contains__(key)


def declared(document: dict, path: str) -> set:
    operation = document["paths"].get(path, {})
    parameters = operation.get("parameters", []) + operation.get("get", {}).get("parameters", [])
    return {p["name"] for p in parameters if p["in"] == "query"}


def admin_of(app, service):
    if service != "customer":
        return signed_in(app.extensions["crm"])
    token = app.test_client().post("/v1/auth/token", json={"username": "admin", "password": "admin-test-password"})
    return {"Authorization": f"Bearer {token.json['access_token']}"}


@pytest.mark.parametrize("create_app,service", SERVICES, ids=[s for _, s in SERVICES])
def test_every_query_parameter_a_route_reads_is_in_its_openapi(app_for, create_app, service):
    app = app_for(create_app, service)
    app.request_class = type("RecordingRequest", (app.request_class,), {"parameter_storage_class": RecordingArgs})
    client, admin = app.test_client(), admin_of(app, service)
    document = client.get("/openapi.json").json
    undeclared, called = {}, 0
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        if "GET" not in rule.methods or path in OUTSIDE_THE_API or path.startswith(("/docs", "/v1/dev")):
            continue
        read_names.clear()
        # a made-up id reaches the view (a 404 then, but the reads before it count); `probe` is no parameter
        client.get(re.sub(r"\{[^}]+\}", "x", path) + "?probe=1", headers=admin)
        called += 1
        missing = set(read_names) - declared(document, path)
        if missing:
            undeclared[path] = sorted(missing)
    assert called >= 3  # the routes were found and called
    assert undeclared == {}, f"{service} reads query parameters its /openapi.json does not list: {undeclared}"

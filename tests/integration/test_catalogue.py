"""Every service serves the event catalogue (AsyncAPI 3.0) and its page; the official AsyncAPI parser
(`@asyncapi/parser`, installed by make into .tools/) reads what it serves with no error and no id missing."""
import json
import subprocess
from pathlib import Path

import pytest

from crm_common import catalogue
from crm_common.events import contract_types
from customer.app import create_app as customer_app
from lead_intake.app import create_app as lead_intake_app
from notify.app import create_app as notify_app
from pool.app import create_app as pool_app
from reporting.app import create_app as reporting_app

TOOLS = Path(__file__).resolve().parents[2] / ".tools"
PARSE = Path(__file__).with_name("parse_asyncapi.mjs")
SERVICES = [(customer_app, "customer"), (lead_intake_app, "lead-intake"), (pool_app, "pool"),
            (notify_app, "notify"), (reporting_app, "reporting")]


def parsed(document: dict) -> dict:
    if not (TOOLS / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail(f"{TOOLS}/node_modules/@asyncapi/parser is missing: `make test` (or `make install`) installs it")
    done = subprocess.run(["node", str(PARSE), str(TOOLS)], input=json.dumps(document), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_official_parser_reads_the_served_catalogue_with_no_error_and_every_id(app_for, servers):
    document = app_for(customer_app, "customer").test_client().get("/asyncapi.json").json
    result = parsed(document)
    by_severity = {s: [d for d in result["diagnostics"] if d["severity"] == s] for s in ("error", "warning")}
    print(f"@asyncapi/parser: {len(by_severity['error'])} errors, {len(by_severity['warning'])} warnings")
    assert by_severity["error"] == [] and by_severity["warning"] == []
    assert result["version"] == "3.0.0"
    assert result["servers"] == ["configured", "production"]
    assert document["servers"]["configured"]["host"] == servers.kafka_bootstrap  # this deployment's broker
    assert sorted(address for _, address in result["channels"]) == [
        "crm.automation", "crm.customers", "crm.leads", "crm.notifications", "crm.org", "crm.pool"]
    expected = sorted(catalogue.message_id(t, v) for t, v in contract_types())
    assert sorted(result["messages"]) == expected  # no anonymous message: each has its own id
    assert sorted((op, action, tuple(ids)) for op, action, ids in result["operations"]) == [
        (f"receive{mid}", "receive", (mid,)) for mid in expected]


@pytest.mark.parametrize("create_app,service", SERVICES, ids=[s for _, s in SERVICES])
def test_every_service_serves_the_catalogue_and_its_page(app_for, create_app, service):
    client = app_for(create_app, service).test_client()
    document = client.get("/asyncapi.json")
    assert document.status_code == 200 and document.json["asyncapi"] == "3.0.0"
    page = client.get("/asyncapi.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Topic <code>crm.customers</code>" in html and 'id="CustomerCreatedV1"' in html
    assert "receiveCustomerCreatedV1" in html and "<script" not in html  # nothing to fetch: it reads offline

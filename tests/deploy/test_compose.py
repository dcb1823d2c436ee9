"""deploy/compose.yaml passes the compose-spec schema, and the dashboard's login reaches the customer container."""
import subprocess
import sys
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"
CHECK = Path(sys.executable).with_name("check-jsonschema")


def test_compose_file_passes_the_compose_spec_schema():
    # check-jsonschema ships the compose-spec schema (vendor.compose-spec): no network needed.
    done = subprocess.run([str(CHECK), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_reporting_reaches_the_customer_container_for_the_dashboards_login():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["reporting"]["environment"]["REPORTING_CUSTOMER_URL"] == "http://customer:8000"
    assert services["customer"]["command"][-1] == "customer.app:create_app()"


def test_every_service_waits_for_the_topic_step():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name, service in services.items():
        if name not in ("mongo", "kafka", "topics"):
            assert service["depends_on"]["topics"] == {"condition": "service_completed_successfully"}, name

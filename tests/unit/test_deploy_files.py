"""The deployment files parse and name every service's two processes (the chart: tests/deploy)."""
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PACKAGES = {"lead-intake": "lead_intake", "customer": "customer", "pool": "pool", "notify": "notify",
            "reporting": "reporting", "automation": "automation"}


def test_compose_runs_a_web_and_a_worker_of_each_service_on_a_replica_set_and_kraft():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    for name, package in PACKAGES.items():
        assert f"{package}.app:create_app()" in services[name]["command"]
        assert services[f"{name}-worker"]["command"] == ["python", "-m", f"{package}.worker"]
    assert "--replSet" in services["mongo"]["command"]
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]


def test_the_procfile_lists_both_servers_and_twelve_service_processes():
    names = [line.split(":")[0] for line in (DEPLOY / "Procfile").read_text().splitlines()
             if line and not line.startswith("#")]
    assert names[:2] == ["mongo", "kafka"] and len(names) == 14


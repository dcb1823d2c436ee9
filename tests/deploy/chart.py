"""The chart rendered with the real helm binary that `make` installs into .tools/, and what the tests read of it."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "crm"
TOOLS = ROOT / ".tools"
HELM = TOOLS / "node_modules" / ".bin" / "helm"
KUBE_VERSION = "1.30.0"  # the oldest Kubernetes the chart is validated against
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))


def helm(*args: str) -> subprocess.CompletedProcess:
    if not HELM.exists():
        pytest.fail(f"{HELM} is missing: `make test` (or `make install`) installs it")
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=60)


def render(*args: str) -> list[dict]:
    """The chart's objects as `helm template` writes them; fails the test if helm refuses."""
    done = helm("template", "crm", str(CHART), "--namespace", "crm", "--kube-version", KUBE_VERSION, *args)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def refusal(*args: str) -> str:
    """What helm says when it refuses to render with these values."""
    done = helm("template", "crm", str(CHART), "--kube-version", KUBE_VERSION, *args)
    assert done.returncode != 0, "helm rendered values it should have refused"
    return done.stderr


def kind(docs: list[dict], name: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == name]


def by_name(docs: list[dict], kind_name: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in kind(docs, kind_name)}


def pod_of(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


def container_of(deployment: dict) -> dict:
    [container] = pod_of(deployment)["containers"]
    return container


def env_of(deployment: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container_of(deployment)["env"]}


def validate_crds(docs: list[dict]) -> list[str]:
    """Errors of the KEDA and Strimzi resources under their projects' published CRD schemas."""
    done = subprocess.run(["node", str(Path(__file__).parent / "validate_crds.mjs"), str(TOOLS)],
                          input=json.dumps(docs), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)

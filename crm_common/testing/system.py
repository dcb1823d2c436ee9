"""The whole system as real processes (gunicorn and workers under honcho), for end-to-end tests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from crm_common.dev import localinfra

SERVICES = ("lead-intake", "customer", "pool", "notify", "reporting", "automation")
# One read each service answers to any signed-in user.
READS = {"customer": "/v1/customers", "lead-intake": "/v1/leads", "pool": "/v1/pool-entries",
         "notify": "/v1/inbox", "reporting": "/v1/workbench"}  # automation answers admins only
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class System:
    urls: dict
    process: subprocess.Popen
    log_path: Path

    def url(self, service: str, path: str) -> str:
        return self.urls[service] + path

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start(servers, workdir: Path, *, admin_password: str, timeout: float = 90.0) -> System:
    env = dict(os.environ, CRM_ENV="test", MONGO_URI=servers.mongo_uri,
               KAFKA_BOOTSTRAP_SERVERS=servers.kafka_bootstrap, KAFKA_TOPIC_PARTITIONS="3",
               KAFKA_REPLICATION_FACTOR="1", CRM_ADMIN_PASSWORD=admin_password, CRM_VAR_DIR=str(workdir), CRM_BIND="127.0.0.1",
               WEB_CONCURRENCY="2", PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    urls = {}
    for service in SERVICES:
        prefix = service.upper().replace("-", "_")
        port = localinfra.free_port()
        env[f"{prefix}_PORT"] = str(port)
        env[f"{prefix}_WORKER_METRICS_PORT"] = str(localinfra.free_port())
        urls[service] = f"http://127.0.0.1:{port}"
        (workdir / "metrics" / service).mkdir(parents=True, exist_ok=True)
    names = [n for s in SERVICES for n in (s, f"{s}-worker")]
    log_path = workdir / "system.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "honcho", "-f", "deploy/Procfile", "-d", ".", "start", *names],
        cwd=ROOT, env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    system = System(urls, process, log_path)
    workers = [int(env[f"{s.upper().replace('-', '_')}_WORKER_METRICS_PORT"]) for s in SERVICES]
    _wait_ready(system, workers, timeout)
    return system


def _wait_ready(system: System, worker_ports: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = [u + "/readyz" for u in system.urls.values()] + [f"http://127.0.0.1:{p}/" for p in worker_ports]
    while pending:
        if system.process.poll() is not None or time.monotonic() > deadline:
            stop(system)
            raise RuntimeError(f"the system did not become ready; waiting for {pending}\n{system.log_tail()}")
        try:
            if requests.get(pending[0], timeout=2).status_code == 200:
                pending.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(0.3)


def stop(system: System) -> None:
    if system.process.poll() is None:
        os.killpg(system.process.pid, signal.SIGINT)
        try:
            system.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(system.process.pid, signal.SIGKILL)


def eventually(fetch, *, timeout: float = 5.0, interval: float = 0.1):
    """Poll `fetch` until it returns something truthy (events take a moment); its last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def known_everywhere(system, headers: dict, *, timeout: float = 60.0) -> dict:
    """`headers` of a fresh login, once every service has learnt of its user from crm.org: until
    crm.user.created reaches it (a second or so), a service refuses the token (crm_common/tokens.py)."""
    def let_in(service):
        try:
            return requests.get(system.url(service, READS[service]), headers=headers, timeout=10).status_code != 401
        except requests.RequestException:
            return False
    for service in READS:
        eventually(lambda: let_in(service), timeout=timeout)  # noqa: B023 - called before the loop moves on
    return headers

"""Shared by the benchmarks: servers, a service under gunicorn, and timing helpers."""
from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from crm_common import tokens
from crm_common.dev import localinfra
from crm_common.testing import servers as test_servers

ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "bench-secret-bench-secret-bench-secret"  # prod mode: no time-travel reads on the hot path


@contextlib.contextmanager
def servers():
    with tempfile.TemporaryDirectory() as tmp, test_servers.start(Path(tmp)) as running:
        yield running


@contextlib.contextmanager
def service(running, package: str, *, workers: int = 4):
    """One service's HTTP app under gunicorn, as in production."""
    port = localinfra.free_port()
    env = dict(os.environ, CRM_ENV="prod", JWT_SECRET=JWT_SECRET, MONGO_URI=running.mongo_uri,
               KAFKA_BOOTSTRAP_SERVERS=running.kafka_bootstrap, WEB_CONCURRENCY=str(workers), PORT=str(port),
               LOG_LEVEL="WARNING", CRM_ADMIN_PASSWORD="bench-admin-password",  # prod refuses a weak one
               USER_WRITES_PER_MINUTE="1000000")  # a bench's one token writes at a script's pace
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                "-b", f"127.0.0.1:{port}", f"{package}.app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        # Ready as a load balancer would see it: /readyz answers 200 several times running, so
        # every worker has warmed up (lead-intake loads its company keys first).
        deadline, in_a_row = time.monotonic() + 180, 0
        while in_a_row < 3 * workers:
            try:
                in_a_row = in_a_row + 1 if requests.get(url + "/readyz", timeout=5).status_code == 200 else 0
            except requests.RequestException:
                in_a_row = 0
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{package} did not become ready")
            time.sleep(0.1 if in_a_row else 0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def run_clients(clients: int, per_client: int, make_call) -> dict:
    """`make_call(client_index)` returns a function doing one call; all clients start together."""
    latencies, lock, barrier = [], threading.Lock(), threading.Barrier(clients)

    def client(index):
        call = make_call(index)
        mine = []
        barrier.wait()
        for i in range(per_client):
            started = time.perf_counter()
            call(i)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rate": len(latencies) / elapsed, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]}


def print_row(label: str, measured: dict, baseline: dict) -> None:
    print(f"{label:<34} {measured['rate']:>9.1f}/s  p50 {measured['p50_ms']:>7.2f} ms  p99 {measured['p99_ms']:>7.2f} ms"
          f"  | baseline {baseline['rate']:>9.1f}/s  p99 {baseline['p99_ms']:>6.2f} ms"
          f"  | ratio {measured['rate'] / baseline['rate']:.2f}", flush=True)


def known_users(db, *user_ids: str) -> None:
    """The service whose database is `db` has learnt of these made-up users, as crm.user.created
    would have told it: a service refuses a token of a user it has not (crm_common/tokens.py)."""
    for user_id in user_ids:
        db[tokens.COLLECTION].update_one({"_id": user_id}, {"$setOnInsert": {"token_version": 0, "active": True}},
                                         upsert=True)

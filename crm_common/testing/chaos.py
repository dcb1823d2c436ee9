"""Chaos run: load the whole system, every worker as two replicas, while its broker, a worker and
its database are killed and restarted and one worker replica is killed for good, then check that
everything accepted arrived exactly once, everywhere.

    python -m crm_common.testing.chaos --leads 1500     # `make chaos`; the test suite runs 300

Every process is started on its own here (not under honcho, which stops all when one
exits), so one can be killed and restarted while the others go on.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import requests
from pymongo import MongoClient

from crm_common.dev import localinfra
from crm_common.mongo import server_time
from crm_common.testing.system import known_everywhere

SERVICES = {"lead-intake": "lead_intake", "customer": "customer", "pool": "pool", "notify": "notify",
            "reporting": "reporting", "automation": "automation"}
ADMIN_PASSWORD = "chaos-admin-password"
RETRY_FOR_SECONDS = 90.0


class Stack:
    """The six services on their own servers; `replicas` worker processes of each service, or of the
    services a dict names (`<service>-worker-1`, `-2`, ...); the extra environment `worker_env` on
    every worker."""

    def __init__(self, workdir: Path, *, replicas: int | dict = 1, worker_env: dict | None = None):
        self.workdir, self.worker_env = workdir, worker_env or {}
        self.replicas = replicas if isinstance(replicas, dict) else dict.fromkeys(SERVICES, replicas)
        self.mongo_port, self.kafka_port = localinfra.free_port(), localinfra.free_port()
        self.ports = {s: localinfra.free_port() for s in SERVICES}
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = dict(os.environ, CRM_ENV="test", CRM_ADMIN_PASSWORD=ADMIN_PASSWORD, CRM_BIND="127.0.0.1",
                        MONGO_URI=f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true",
                        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{self.kafka_port}", KAFKA_TOPIC_PARTITIONS="3",
                        KAFKA_REPLICATION_FACTOR="1", WEB_CONCURRENCY="2", LOG_LEVEL="WARNING",
                        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def _spawn(self, name: str, command: list[str], **extra) -> None:
        log = open(self.workdir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(command, env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=Path(__file__).resolve().parents[2], start_new_session=True)

    def start_mongo(self) -> None:
        command = localinfra.mongo_command(self.mongo_port, str(self.workdir / "mongo"))
        self.procs["mongo"] = localinfra.spawn(command, self.mongo_port, self.workdir / "mongo.log")

    def start_kafka(self) -> None:
        command = localinfra.kafka_command(self.kafka_port)
        self.procs["kafka"] = localinfra.spawn(command, self.kafka_port, self.workdir / "kafka.log")

    def start_worker(self, service: str, replica: int = 1) -> None:
        self._spawn(f"{service}-worker-{replica}", [sys.executable, "-m", f"{SERVICES[service]}.worker"],
                    **self.worker_env)

    def start(self) -> None:
        self.start_mongo()
        self.start_kafka()
        for service, package in SERVICES.items():
            self._spawn(service, [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                  "-b", f"127.0.0.1:{self.ports[service]}", f"{package}.app:create_app()"])
            for replica in range(1, self.replicas.get(service, 1) + 1):
                self.start_worker(service, replica)
        deadline = time.monotonic() + 120
        for service in SERVICES:
            while True:
                try:
                    if requests.get(self.url(service, "/readyz"), timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service} did not become ready; see {self.workdir}")
                time.sleep(0.3)

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.procs[name]
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def terminate(self, name: str, timeout: float = 60.0) -> tuple[int, float]:
        """SIGTERM a process, as an orchestrator stops a pod: its exit code and the seconds it took."""
        process, sent = self.procs[name], time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=timeout)
        return code, time.monotonic() - sent

    def lease_holder(self, service: str, job: str = "outbox-relay") -> str | None:
        """The worker process holding one of the service's leases now (its owner names the pid)."""
        db = self.db(service)
        lease = db.job_leases.find_one({"_id": job}) or {}
        if not lease.get("owner") or lease["expires_at"].replace(tzinfo=timezone.utc) <= server_time(db):
            return None
        pid = lease["owner"].split(":")[1]
        return next((name for name, p in self.procs.items() if str(p.pid) == pid and p.poll() is None), None)

    def assignments(self, name: str, since: float = 0.0) -> list[tuple[float, set]]:
        """The partitions a worker's consumer was given (its `assigned` log lines, LOG_LEVEL=INFO), with
        when (epoch seconds), from `since` on."""
        out = []
        for line in (self.workdir / f"{name}.log").read_text(errors="replace").splitlines():
            if '"assigned [' not in line:
                continue
            entry = json.loads(line)
            at = datetime.strptime(entry["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
            if at >= since:
                out.append((at, set(json.loads(entry["msg"][len("assigned "):].replace("'", '"')))))
        return out

    def stop(self) -> None:
        """The services all at once (each worker drains on its own), then the broker and the database."""
        services = [p for name, p in self.procs.items() if name not in ("mongo", "kafka")]
        for group in (services, [self.procs[n] for n in ("kafka", "mongo") if n in self.procs]):
            running = [p for p in group if p.poll() is None]
            for process in running:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for process in running:
                try:
                    process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    def db(self, service: str):
        return MongoClient(self.env["MONGO_URI"])[f"crm_{service.replace('-', '_')}"]


def call(method: str, url: str, **kwargs) -> requests.Response:
    """Retry with the same Idempotency-Key until a final answer (faults make 503s and refused connections)."""
    headers = {**kwargs.pop("headers", {}), "Idempotency-Key": uuid.uuid4().hex}
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        try:
            response = requests.request(method, url, headers=headers, timeout=15, **kwargs)
            if response.status_code < 500 and response.status_code != 409:
                return response
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{method} {url} got no final answer in {RETRY_FOR_SECONDS}s")
        time.sleep(0.5)


def load(stack: Stack, leads: int, clients: int, on_progress) -> tuple[set, set]:
    token = call("POST", stack.url("customer", "/v1/auth/token"),
                 json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
    admin = known_everywhere(stack, {"Authorization": f"Bearer {token}"})
    key = {"X-API-Key": call("POST", stack.url("lead-intake", "/v1/channels"), json={"name": "chaos"},
                             headers=admin).json()["api_key"]}
    accepted, converted, lock, done = set(), set(), threading.Lock(), [0]

    def one(n: int) -> None:
        answer = call("POST", stack.url("lead-intake", "/v1/leads"), headers=key,
                      json={"name": f"Chaos {n}", "phone": f"1390000{n:04d}", "company": f"Chaos Co {n}"})
        if answer.status_code in (200, 201):
            lead_id = answer.json()["id"]
            with lock:
                accepted.add(lead_id)
            if n % 3 == 0:
                made = call("POST", stack.url("lead-intake", f"/v1/leads/{lead_id}/convert"), headers=admin)
                if made.status_code == 200:
                    with lock:
                        converted.add(lead_id)
        with lock:
            done[0] += 1
            on_progress(done[0])

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(leads)))
    return accepted, converted


def faults(stack: Stack, leads: int):
    """Called with the number of leads done: broker, then a worker replica for good, then a worker
    killed and restarted, then the database."""
    plan = {(3 * leads) // 10: "broker", (4 * leads) // 10: "replica-lost", leads // 2: "worker",
            (7 * leads) // 10: "database"}
    fired, lock, back = set(), threading.Lock(), {}  # back: fault -> when it was over (monotonic)

    def on_progress(done: int) -> None:
        with lock:
            due = [f for at, f in plan.items() if done >= at and f not in fired]
            fired.update(due)
        for fault in due:
            threading.Thread(target=_fault, args=(stack, fault, back), daemon=True).start()
    return on_progress, plan, back


def _fault(stack: Stack, fault: str, back: dict) -> None:
    print(f"chaos: {fault}", flush=True)
    try:
        if fault == "broker":
            stack.kill("kafka")
            time.sleep(2)
            stack.start_kafka()
        elif fault == "replica-lost":
            # The lead-intake replica relaying every lead event, killed and never replaced: the other
            # takes its partitions after the session timeout and the relay after the lease.
            victim = stack.lease_holder("lead-intake") or "lead-intake-worker-1"
            print(f"chaos: {victim} killed for good", flush=True)
            stack.kill(victim)
        elif fault == "worker":
            stack.kill("customer-worker-1")
            time.sleep(1)
            stack.start_worker("customer", 1)
        else:
            stack.kill("mongo", signal.SIGTERM)
            time.sleep(2)
            stack.start_mongo()
    finally:
        back[fault] = time.monotonic()  # the run waits for every fault to be over, failed or not
        print(f"chaos: {fault} over", flush=True)


def counts(stack: Stack, accepted: set, converted: set) -> dict:
    leads, customers = stack.db("lead-intake").leads, stack.db("customer").customers
    by_lead = {}
    for c in customers.find({"source_lead_id": {"$in": sorted(converted)}}, {"source_lead_id": 1, "owner_id": 1}):
        by_lead.setdefault(c["source_lead_id"], []).append(c)
    ids = [c["_id"] for cs in by_lead.values() for c in cs]
    pool = stack.db("pool").pool_entries
    reporting = stack.db("reporting")
    live = (reporting.rm_pointer.find_one({"_id": "live"}) or {}).get("prefix", "v1_")
    report = reporting[live + "customers"]
    inbox = stack.db("notify").inbox
    owner_of = {c["_id"]: c.get("owner_id") for cs in by_lead.values() for c in cs}
    per = lambda coll, field: _per_id(coll, field, ids)  # noqa: E731
    inbox_rows = [r for r in inbox.find({"customer_id": {"$in": ids}}, {"customer_id": 1, "user_id": 1, "kind": 1})
                  if r.get("user_id") == owner_of.get(r["customer_id"]) and r.get("kind") == "customer_assigned"]
    owner_items = {}
    for row in inbox_rows:
        owner_items[row["customer_id"]] = owner_items.get(row["customer_id"], 0) + 1
    return {
        "leads_accepted": len(accepted),
        "leads_stored_once": sum(1 for _ in leads.find({"_id": {"$in": sorted(accepted)}}, {"_id": 1})),
        "leads_stored": leads.count_documents({}),
        "converted": len(converted),
        "converted_with_one_customer": sum(1 for lead in converted if len(by_lead.get(lead, [])) == 1),
        "customers_with_one_pool_entry": sum(1 for n in per(pool, "customer_id").values() if n == 1),
        "customers_with_one_report_row": sum(1 for n in per(report, "_id").values() if n == 1),
        "customers_with_one_owner_inbox_item": sum(1 for n in owner_items.values() if n == 1),
    }


def _per_id(collection, field: str, ids: list) -> dict:
    out = {}
    for row in collection.find({field: {"$in": ids}}, {field: 1}):
        out[row[field]] = out.get(row[field], 0) + 1
    return out


def converged(result: dict) -> bool:
    n = result["converted"]
    return (result["leads_stored_once"] == result["leads_accepted"] == result["leads_stored"]
            and n > 0 and all(result[k] == n for k in (
                "converted_with_one_customer", "customers_with_one_pool_entry", "customers_with_one_report_row",
                "customers_with_one_owner_inbox_item")))


def run(workdir: Path, leads: int = 300, clients: int = 8, settle_seconds: float = 60.0, replicas: int = 2) -> dict:
    stack, began = Stack(workdir, replicas=replicas), time.monotonic()
    try:
        stack.start()
        on_progress, plan, back = faults(stack, leads)
        accepted, converted = load(stack, leads, clients, on_progress)
        while len(back) < len(plan):
            time.sleep(0.5)  # the last fault is over
        last = max(back.values())
        deadline, shown = last + settle_seconds, 0.0
        while True:
            result = counts(stack, accepted, converted)
            if time.monotonic() - shown > 5:
                shown = time.monotonic()
                print(f"chaos: {shown - last:.0f}s after the last fault: {result}", flush=True)
            if converged(result) or time.monotonic() > deadline:
                result["seconds_after_last_fault"] = round(time.monotonic() - last, 1)
                result["faults"] = sorted(back)
                result["worker_replicas"] = replicas
                result["run_seconds"] = round(time.monotonic() - began, 1)  # start to converged, not the stop
                return result
            time.sleep(1)
    finally:
        stack.stop()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="crm-chaos-"))
    result = run(workdir, args.leads, args.clients)
    for name, value in result.items():
        print(f"{name:40} {value}")
    print("converged" if converged(result) else f"NOT converged; logs in {workdir}")
    sys.exit(0 if converged(result) else 1)


if __name__ == "__main__":
    main()

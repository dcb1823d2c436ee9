"""Notify under load (issue 10, point 10), beside raw MongoDB writes on the same server in the same run.

- scheduling pass: the `reminders-due` job over N customers (one pending cadence reminder each; the
  state documents of the due ones) of which `--due` have fallen due; run at --small and --large N. The pass reads
  due reminders through the (status, fire_at) index, so both times should be close.
- inbox delivery: reminders fired into the inbox per second (target >= 200/s), beside a raw
  `insert_many` of the same number of inbox-shaped documents.
- webhook delivery: the worker's claim -> signed POST to a local receiver -> record + event loop.
Run: .venv/bin/python -m bench.notify [--small 100000] [--large 1000000] [--due 1000]
"""
from __future__ import annotations

import argparse
import base64
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

from bson import ObjectId

from bench.common import JWT_SECRET, servers
from crm_common.service import bootstrap
from crm_common.settings import Settings
from notify import deliveries, reminders
from notify.service import SPEC

REPS = 50


def runtime(running, db_name: str):
    settings = Settings.from_env("notify", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "WARNING",
                                            "MONGO_URI": running.mongo_uri, "MONGO_DB": db_name,
                                            "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap})
    return bootstrap(SPEC, settings)


def seed(rt, customers: int, due: int) -> float:
    """`customers` customers with a pending cadence reminder each; `due` of them fell due a minute ago."""
    now, started = datetime.now(timezone.utc), time.perf_counter()
    rt.db.users.insert_many([{"_id": f"rep-{r}", "username": f"rep{r}", "role": "rep", "department_id": "D1",
                              "department_path": ["D1"], "supervisor_id": None, "active": True} for r in range(REPS)])
    step = max(1, customers // due)
    is_due = lambda i: i % step == 0 and i // step < due  # noqa: E731
    # Notify's state copy of the due customers (the pass looks them up by id; the others' state
    # documents are never read by it, so seeding them would only lengthen the run).
    for start in range(0, customers, 20_000):
        ids = [i for i in range(start, min(customers, start + 20_000))]
        due_here = [i for i in ids if is_due(i)]
        if due_here:
            rt.db.customers.insert_many([{"_id": f"C{i}", "name": f"Customer {i}", "owner_id": f"rep-{i % REPS}",
                                          "department_path": ["D1"], "level": "A", "stage": "new", "deleted": False,
                                          "owner_since": now - timedelta(days=3)} for i in due_here], ordered=False)
        rt.db.reminders.insert_many([{
            "_id": f"cadence:C{i}:{i}", "kind": "cadence", "customer_id": f"C{i}", "user_id": f"rep-{i % REPS}",
            "to": "owner", "status": "pending", "data": {"days": 3},
            "fire_at": now - timedelta(minutes=1) if is_due(i) else now + timedelta(days=1 + i % 30),
            "due_at": now, "created_at": now} for i in ids], ordered=False)
    return time.perf_counter() - started


def scheduling_pass(running, customers: int, due: int, name: str) -> float:
    rt = runtime(running, name)
    seeded = seed(rt, customers, due)
    started = time.perf_counter()
    result = reminders.deliver_due(rt)
    elapsed = time.perf_counter() - started
    assert result["delivered"] == due, result
    plan = rt.db.reminders.find({"status": "pending", "fire_at": {"$lte": datetime.now(timezone.utc)}}).explain()
    used = "index" if "IXSCAN" in str(plan) else "not shown"
    print(f"scheduling pass: {customers:>9,} customers, {due} due: {elapsed * 1000:8.1f} ms "
          f"({due / elapsed:7.1f} reminders/s; seeded in {seeded:.0f} s; due query plan: {used})", flush=True)
    rt.client.drop_database(name)
    rt.close()
    return elapsed


def inbox_throughput(running, count: int) -> None:
    name = "bench_notify_inbox"
    rt = runtime(running, name)
    seed(rt, count, count)
    started = time.perf_counter()
    result = reminders.deliver_due(rt)
    elapsed = time.perf_counter() - started
    assert result["delivered"] == count, result
    docs = [{"_id": str(ObjectId()), "key": f"raw:{i}", "user_id": f"rep-{i % REPS}", "kind": "cadence",
             "title": "t" * 20, "body": "b" * 120, "facts": {"level": "A"}, "read_at": None} for i in range(count)]
    raw_started = time.perf_counter()
    for start in range(0, count, 500):
        rt.db.raw_inbox.insert_many(docs[start:start + 500], ordered=False)
    raw = time.perf_counter() - raw_started
    print(f"inbox delivery: {count} reminders in {elapsed:.2f} s = {count / elapsed:8.1f}/s (target >= 200/s) | "
          f"raw insert_many of {count} inbox-shaped docs: {count / raw:8.1f}/s | ratio {raw / elapsed:.2f}x", flush=True)
    rt.client.drop_database(name)
    rt.close()


class _Sink(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Sink.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def webhook_throughput(running, count: int) -> None:
    name = "bench_notify_webhook"
    rt = runtime(running, name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = "whsec_" + base64.b64encode(b"bench-secret-0123456789abcdef").decode()
    rt.db.robots.insert_one({"_id": "hook", "kind": "webhook", "url": f"http://127.0.0.1:{server.server_address[1]}/",
                             "secret": secret, "user_ids": [], "department_ids": [], "active": True, "recent": []})
    now = datetime.now(timezone.utc)
    rt.db.deliveries.insert_many([{
        "_id": str(ObjectId()), "key": f"bench:{i}:rep:webhook:hook", "channel": "webhook", "robot_id": "hook",
        "robot_kind": "webhook", "user_id": "rep-1", "kind": "cadence", "customer_id": f"C{i}", "lead_id": None,
        "title": "Time to follow up", "body": "b" * 120, "facts": {}, "suggested_next_step": "call",
        "due_at": now, "created_at": now, "status": "pending", "attempts": 0, "next_attempt_at": now,
        "last_error": None} for i in range(count)])
    started = time.perf_counter()
    sent = 0
    while sent < count:
        sent += deliveries.run(rt, run_seconds=60)["sent"]
    elapsed = time.perf_counter() - started
    print(f"webhook delivery (one worker, signed POST + recorded outcome + event): {count} in {elapsed:.2f} s = "
          f"{count / elapsed:7.1f}/s; receiver got {_Sink.received}", flush=True)
    server.shutdown()
    rt.client.drop_database(name)
    rt.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--inbox", type=int, default=5000)
    parser.add_argument("--webhooks", type=int, default=1000)
    args = parser.parse_args()
    with servers() as running:
        print(f"notify benchmark (MongoDB: {running.kind} servers)", flush=True)
        small = scheduling_pass(running, args.small, args.due, "bench_notify_small")
        large = scheduling_pass(running, args.large, args.due, "bench_notify_large")
        print(f"scheduling pass ratio large/small: {large / small:.2f}x (target within 1.5x)", flush=True)
        inbox_throughput(running, args.inbox)
        webhook_throughput(running, args.webhooks)


if __name__ == "__main__":
    main()

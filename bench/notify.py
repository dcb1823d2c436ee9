"""Notify under load (issue 10, point 10), beside raw MongoDB writes on the same server in the same run.

- inbox delivery: `--inbox` reminders fired into the inbox by the `reminders-due` job, per second
  (target >= 200/s), beside a raw `insert_many` of as many inbox-shaped documents;
- webhook delivery: the worker's claim -> Standard-Webhooks-signed POST to a local receiver ->
  recorded outcome + crm.notification.sent, per second, beside the same raw insert rate;
- scheduling pass: the `reminders-due` job over --small and --large customers, notify's state of
  every one of them (a customer copy and its pending cadence reminder, written as the plan writes
  them) seeded with insert_many, of which the same `--due` fell due. The pass reads due reminders
  through the (status, fire_at) index, so the two times should be within 1.5x.

The throughputs run first, on the fresh server; the large seed is capped so the whole run stays
under --budget seconds (a capped size is printed as such).
Run: .venv/bin/python -m bench.notify [--small 100000] [--large 1000000] [--due 1000]
"""
from __future__ import annotations

import argparse
import base64
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bson import ObjectId

from bench.common import JWT_SECRET, servers
from crm_common.service import bootstrap
from crm_common.settings import Settings
from notify.channels import reach, robots
from notify.deliveries import outbound
from notify.reminders import rules
from notify.reminders.due import deliver_due
from notify.service import SPEC

REPS = 50
CHUNK = 10_000
REPEATS = 3
SEALING_KEY = "bench-sealing-key-of-notify-alone-0123456789"  # prod mode refuses to start without one


def runtime(running, db_name: str):
    settings = Settings.from_env("notify", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "WARNING",
                                            "MONGO_URI": running.mongo_uri, "MONGO_DB": db_name,
                                            "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap,
                                            "NOTIFY_SEALING_KEY": SEALING_KEY})
    return bootstrap(SPEC, settings)


def _customer(i: int, now: datetime) -> dict:
    return {"_id": f"C{i:07d}", "name": f"Customer {i}", "owner_id": f"rep-{i % REPS}", "department_path": ["D1"],
            "level": "A", "stage": "new", "deleted": False, "owner_since": now - timedelta(days=3),
            "last_followup": {"followup_id": f"F{i}", "at": now - timedelta(days=3), "summary": "Sent the quote"}}


def _reminder(customer: dict, due: bool, now: datetime, i: int) -> dict:
    """A pending cadence reminder as the plan writes it (with the customer's snapshot)."""
    fire = now - timedelta(minutes=1) if due else now + timedelta(days=1 + i % 30)
    return {"_id": f"cadence:{customer['_id']}:{i}", "kind": "cadence", "customer_id": customer["_id"],
            "user_id": customer["owner_id"], "to": "owner", "status": "pending", "fire_at": fire, "due_at": fire,
            "data": {"days": 3, "since": now - timedelta(days=3)}, "customer": rules.snapshot(customer),
            "created_at": now}


def seed(rt, customers: int, due: int) -> float:
    """Notify's state of `customers` customers, each with its pending cadence reminder; `due` of them
    spread evenly through the id range fell due a minute ago."""
    now, started = datetime.now(timezone.utc), time.perf_counter()
    rt.db.users.insert_many([{"_id": f"rep-{r}", "username": f"rep{r}", "role": "rep", "department_id": "D1",
                              "department_path": ["D1"], "supervisor_id": None, "active": True} for r in range(REPS)])
    step = max(1, customers // due)
    for start in range(0, customers, CHUNK):
        chunk = [_customer(i, now) for i in range(start, min(customers, start + CHUNK))]
        rt.db.customers.insert_many(chunk, ordered=False)
        rt.db.reminders.insert_many([_reminder(c, i % step == 0 and i // step < due, now, i)
                                     for i, c in enumerate(chunk, start)], ordered=False)
    return time.perf_counter() - started


def raw_insert_rate(rt, count: int) -> float:
    docs = [{"_id": str(ObjectId()), "key": f"raw:{i}", "user_id": f"rep-{i % REPS}", "kind": "cadence",
             "title": "t" * 20, "body": "b" * 120, "facts": {"level": "A"}, "read_at": None} for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 500):
        rt.db.raw_inbox.insert_many(docs[start:start + 500], ordered=False)
    return count / (time.perf_counter() - started)


def inbox_throughput(running, count: int) -> None:
    name = "bench_notify_inbox"
    rt = runtime(running, name)
    seed(rt, count, count)
    started = time.perf_counter()
    result = deliver_due(rt)
    elapsed = time.perf_counter() - started
    assert result["delivered"] == count, result
    raw = raw_insert_rate(rt, count)
    print(f"inbox delivery: {count} reminders in {elapsed:.2f} s = {count / elapsed:7.1f}/s (target >= 200/s) | "
          f"raw insert_many of {count} inbox-shaped docs: {raw:7.1f}/s | delivery at {count / elapsed / raw:.0%} of "
          f"raw inserts (each delivery also marks its reminder sent and plans its escalation)", flush=True)
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
    reach.put(rt, ["127.0.0.1"], None)  # the sink is loopback: allowed, as an admin would
    hook = robots.create(rt, {"name": "bench", "kind": "webhook", "secret": secret,
                              "url": f"http://127.0.0.1:{server.server_address[1]}/"})
    now = datetime.now(timezone.utc)
    rt.db.deliveries.insert_many([{
        "_id": str(ObjectId()), "key": f"bench:{i}:rep:webhook:{hook['_id']}", "channel": "webhook",
        "robot_id": hook["_id"], "robot_kind": "webhook", "user_id": "rep-1", "kind": "cadence", "customer_id": f"C{i}",
        "lead_id": None, "title": "Time to follow up", "body": "b" * 120, "facts": {}, "suggested_next_step": "call",
        "due_at": now, "created_at": now, "status": "pending", "attempts": 0, "next_attempt_at": now,
        "last_error": None} for i in range(count)])
    started = time.perf_counter()
    sent = 0
    while sent < count:
        sent += outbound.run(rt, run_seconds=60)["sent"]
    elapsed = time.perf_counter() - started
    raw = raw_insert_rate(rt, count)
    print(f"webhook delivery ({outbound.SENDERS} senders; claim, signed POST, recorded outcome + event): {count} "
          f"in {elapsed:.2f} s = {count / elapsed:7.1f}/s; receiver got {_Sink.received} | raw insert_many "
          f"{raw:7.1f}/s", flush=True)
    server.shutdown()
    rt.client.drop_database(name)
    rt.close()


def scheduling_pass(running, customers: int, due: int, name: str) -> tuple[float, float]:
    """(pass seconds, seed seconds)."""
    rt = runtime(running, name)
    seeded = seed(rt, customers, due)
    assert rt.db.customers.estimated_document_count() == customers
    due_ids = [r["_id"] for r in rt.db.reminders.find({"status": "pending", "fire_at": {"$lte": datetime.now(
        timezone.utc)}}, {"_id": 1})]
    times = []
    for _ in range(REPEATS):  # the machine is shared: the best of a few passes over the same due set
        started = time.perf_counter()
        result = deliver_due(rt)
        times.append(time.perf_counter() - started)
        assert result["delivered"] == due, result
        rt.db.inbox.delete_many({})
        rt.db.reminders.delete_many({"kind": "overdue"})
        rt.db.reminders.update_many({"_id": {"$in": due_ids}}, {"$set": {"status": "pending"}})
    elapsed = min(times)
    plan_text = str(rt.db.reminders.find({"status": "pending", "fire_at": {"$lte": datetime.now(timezone.utc)}})
                    .explain())
    used = "index" if "IXSCAN" in plan_text else "not shown"
    print(f"scheduling pass: {customers:>9,} customers (state + pending reminder each), {due} due: "
          f"{elapsed * 1000:8.1f} ms, best of {' / '.join(f'{t * 1000:.0f}' for t in times)} ms "
          f"({due / elapsed:6.1f} reminders/s; seeded in {seeded:.0f} s = "
          f"{2 * customers / seeded:.0f} docs/s; due query plan: {used})", flush=True)
    rt.client.drop_database(name)
    rt.close()
    return elapsed, seeded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--inbox", type=int, default=5000)
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=14 * 60, help="seconds the whole run may take")
    args = parser.parse_args()
    began = time.monotonic()
    with servers() as running:
        print(f"notify benchmark (MongoDB: {running.kind} servers)", flush=True)
        inbox_throughput(running, args.inbox)
        webhook_throughput(running, args.webhooks)
        small, seeded = scheduling_pass(running, args.small, args.due, "bench_notify_small")
        left = args.budget - (time.monotonic() - began) - 60  # a minute for the pass and the teardown
        large = min(args.large, int(args.small * left / seeded / 1.15))  # seeding slows a little as it grows
        if large < args.large:
            print(f"large size capped at {large:,} customers to stay within {args.budget:.0f} s "
                  f"(asked {args.large:,})", flush=True)
        big, _ = scheduling_pass(running, large, args.due, "bench_notify_large")
        print(f"scheduling pass ratio {large:,}/{args.small:,} customers: {big / small:.2f}x "
              f"(target within 1.5x)", flush=True)
    print(f"bench run took {time.monotonic() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()

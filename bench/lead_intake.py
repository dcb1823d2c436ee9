"""Lead intake through the HTTP API with de-duplication on, against 100k stored leads,
beside a bare 3-insert transaction (the floor any atomic intake pays) measured in the same run.

Prints (issue 13): the migration of the stored records to the new keys (first run and a second,
idempotent one), MongoDB round trips per lead (pymongo command listener, in-process app),
leads/s with p50/p99 at 1, 8 and 32 clients, POST /v1/leads:batch at 500 leads per call, and
the RSS of each web worker.
Run: make bench, or .venv/bin/python -m bench.lead_intake [--stored N] [--quick]
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import time

import requests
from bson import ObjectId
from pymongo import MongoClient

from bench.common import JWT_SECRET, print_row, run_clients, servers, service
from pymongo import monitoring

from crm_common.identity import company_key
from crm_common.auth import Principal, issue_token
from crm_common.settings import Settings

CITIES = [f"city{i}" for i in range(300)]
REGIONS = ["", "北京", "上海", "深圳", "杭州"]
SYLLABLES = list("华星云智达创新远恒信博瑞联天安泰和美科蓝海金石启明宏图")
TRADES = ["科技", "信息技术", "网络", "软件", "电子", "贸易", "制造", "咨询", "物流", "医疗器械"]
LEVELS = [(1, 200), (8, 100), (32, 40)]  # (clients, requests per client)
BATCH_CALLS, BATCH_SIZE = 4, 500
WARM_UP = (4, 30)  # untimed (clients, requests each) first: every worker's connections and first cache refresh


def company_name(rng: random.Random) -> str:
    """A plausible, varied Chinese company name: region, two brand syllables, trade, legal form."""
    return (rng.choice(REGIONS) + "".join(rng.sample(SYLLABLES, 2)) + rng.choice(TRADES) +
            rng.choice(["有限公司", "股份有限公司", "有限责任公司"]))


def seed(db, count: int) -> None:
    """Stored leads with their identity keys and company records, as intake would have left them."""
    rng = random.Random(7)
    for start in range(0, count, 5000):
        leads, keys, companies = [], [], []
        for i in range(start, min(count, start + 5000)):
            lead_id, city = str(ObjectId()), CITIES[i % len(CITIES)]
            phone = f"+86137{i:08d}"
            company = company_name(rng)
            leads.append({"_id": lead_id, "name": f"seed {i}", "phones": [phone], "emails": [], "wechat_ids": [],
                          "company": company, "company_key": company_key(company), "city": city,
                          "status": "new", "owner_id": None, "touchpoint_count": 1})
            keys.append({"_id": f"phone:{phone}", "kind": "lead", "record_id": lead_id})
            # as the previous release stored it: the migration computes brand, sound and blocking keys
            companies.append({"_id": f"lead:{lead_id}", "kind": "lead", "record_id": lead_id, "city": city,
                              "company_key": company_key(company), "removed": False})
        db.leads.insert_many(leads, ordered=False)
        db.identity_keys.insert_many(keys, ordered=False)
        db.companies.insert_many(companies, ordered=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="8 clients and the batch only")
    args = parser.parse_args()
    with servers() as running:
        client = MongoClient(running.mongo_uri)
        db = client.crm_lead_intake
        started = time.monotonic()
        seed(db, args.stored)  # before the service starts, as a restart would find them
        print(f"seeded {args.stored} leads in {time.monotonic() - started:.0f} s", flush=True)
        migrate_timed(db)
        round_trips(running, db)
        with service(running, "lead_intake") as url:
            print_rss(url, "before load")
            measure(url, db, client, running.kind, quick=args.quick)
            print_rss(url, "after load")


def migrate_timed(db) -> None:
    from lead_intake.migrate_keys import migrate
    for run in ("first", "second"):
        started = time.monotonic()
        counts = migrate(db)
        print(f"migrate_keys, {run} run: {time.monotonic() - started:.1f} s, rewritten {counts}", flush=True)


class Counter(monitoring.CommandListener):
    commands = 0

    def started(self, event):
        Counter.commands += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def round_trips(running, db, leads: int = 50) -> None:
    """Commands sent to MongoDB per new lead, counted in-process on the app's own client."""
    monitoring.register(Counter())
    from lead_intake.app import create_app
    settings = Settings.from_env("lead-intake", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET,
                                                 "MONGO_URI": running.mongo_uri,
                                                 "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap})
    app = create_app(settings)
    web = app.test_client()
    admin = {"Authorization": "Bearer " + issue_token(settings.jwt_secret, Principal("b", "b", "admin"), 3600)}
    key = {"X-API-Key": web.post("/v1/channels", json={"name": "rt", "rate_limit_per_minute": 100000},
                                 headers=admin).json["api_key"]}
    rng = random.Random(5)
    for n in range(5):  # warm: channel cache, rules
        web.post("/v1/leads", headers=key, json={"name": f"w{n}", "phone": f"+86136{n:08d}",
                                                 "company": company_name(rng), "city": "city1"})
    before = Counter.commands
    for n in range(leads):
        response = web.post("/v1/leads", headers=key, json={"name": f"r{n}", "phone": f"+86135{n:08d}",
                                                            "company": company_name(rng), "city": "city1"})
        assert response.status_code == 201, response.json
    print(f"round trips per new lead: {(Counter.commands - before) / leads:.1f} (pymongo command listener, "
          f"{leads} leads)", flush=True)


def print_rss(url: str, when: str) -> None:
    """RSS of the gunicorn workers serving `url` (found by the bind address in their master's command line)."""
    bind = url.removeprefix("http://")
    master = next(pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid).find(bind) >= 0
                  and "gunicorn" in _cmdline(pid) and _ppid(pid) == os.getpid())
    workers = [pid for pid in os.listdir("/proc") if pid.isdigit() and _ppid(pid) == int(master)]
    sizes = [_rss_mb(pid) for pid in workers]
    print(f"RSS of the {len(sizes)} web workers {when}: " + ", ".join(f"{m:.0f} MB" for m in sizes), flush=True)


def _cmdline(pid: str) -> str:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _status(pid: str, field: str) -> str:
    try:
        return next(line.split()[1] for line in open(f"/proc/{pid}/status") if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return "0"


def _ppid(pid: str) -> int:
    return int(_status(pid, "PPid"))


def _rss_mb(pid: str) -> float:
    return int(_status(pid, "VmRSS")) / 1024


def measure(url: str, db, client, kind: str, quick: bool = False) -> None:
    settings = Settings.from_env("lead-intake", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET})
    admin = {"Authorization": "Bearer " + issue_token(settings.jwt_secret, Principal("bench", "bench", "admin"), 3600)}
    key = {"X-API-Key": requests.post(url + "/v1/channels", json={"name": "bench", "rate_limit_per_minute": 100000},
                                      headers=admin, timeout=10).json()["api_key"]}
    numbers, rng = itertools.count(10_000_000), random.Random(11)
    print(f"lead intake with de-duplication, {db.leads.count_documents({})} stored leads "
          f"(MongoDB: {kind} servers; steady state, after {WARM_UP[0] * WARM_UP[1]} untimed requests)")
    for clients, per_client in [WARM_UP] + ([(8, 100)] if quick else LEVELS):
        def intake_call(_index):
            session = requests.Session()

            def call(_i):
                n = next(numbers)
                response = session.post(url + "/v1/leads", headers=key, timeout=30, json={
                    "name": f"bench {n}", "phone": f"+86139{n:08d}", "company": company_name(rng),
                    "city": random.choice(CITIES)})
                assert response.status_code == 201, response.text
            return call

        def transaction_call(_index):
            # The least any atomic intake writes: the lead, its key, its outbox row, in one transaction.
            def call(i):
                with client.start_session() as session:
                    session.with_transaction(lambda s: [client.bench[name].insert_one({"n": i}, session=s)
                                                        for name in ("leads", "keys", "outbox")])
            return call

        measured = run_clients(clients, per_client, intake_call)
        if (clients, per_client) == WARM_UP:
            continue
        print_row(f"POST /v1/leads, {clients:>2} clients", measured, run_clients(clients, per_client, transaction_call))
    batch = run_clients(1, BATCH_CALLS, lambda _index: lambda _i: _batch_call(url, key, numbers, rng))
    batch = {"rate": batch["rate"] * BATCH_SIZE, "p50_ms": batch["p50_ms"], "p99_ms": batch["p99_ms"]}
    print(f"POST /v1/leads:batch, {BATCH_SIZE} a call    {batch['rate']:>9.1f} leads/s  "
          f"p50 {batch['p50_ms']:>7.0f} ms a call", flush=True)


def _batch_call(url: str, key: dict, numbers, rng) -> None:
    rows = []
    for _ in range(BATCH_SIZE):
        n = next(numbers)
        rows.append({"name": f"bench {n}", "phone": f"+86139{n:08d}", "company": company_name(rng),
                     "city": random.choice(CITIES)})
    response = requests.post(url + "/v1/leads:batch", headers=key, json={"leads": rows}, timeout=300)
    assert response.status_code == 200 and response.json()["created"] == BATCH_SIZE, response.text[:300]


if __name__ == "__main__":
    main()

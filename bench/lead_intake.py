"""Lead intake through the HTTP API with de-duplication on, against 100k stored leads,
beside a bare 3-insert transaction (the floor any atomic intake pays) measured in the same run.

Prints (issue 13): MongoDB round trips per new lead, by command (pymongo command listener,
in-process app), single and in a batch; leads/s with p50/p99 at 1, 8 and 32 clients beside the
bare transaction, with the CPU time the MongoDB server, the web workers and the clients spent per
lead; POST /v1/leads:batch at 500 leads per call; the targets met or not; and the RSS
of the web workers after the same load at 100k stored companies and at up to 1M (the extra
companies inserted straight into the collection, as intake would have stored them).
The whole run stops seeding in time to finish within --minutes (15): a size not reached is said.
--migrate seeds the previous release's records instead and times the migration (first and
idempotent second run) before the rest.
Run: make bench, or .venv/bin/python -m bench.lead_intake [--stored N] [--companies N] [--quick] [--migrate]
[--rss-only | --no-rss] [--workers N] [--new-companies]
"""
from __future__ import annotations

import argparse
import collections
import itertools
import os
import random
import time

import requests
from bson import ObjectId
from pymongo import MongoClient

from pymongo import monitoring

from bench.common import JWT_SECRET, known_users, print_row, run_clients, servers, service

from crm_common.auth import Principal, issue_token
from crm_common.kernel.company_names import parse
from crm_common.kernel.identity import company_key
from crm_common.settings import Settings

CITIES = [f"city{i}" for i in range(300)]
REGIONS = ["", "北京", "上海", "深圳", "杭州"]
SYLLABLES = list("华星云智达创新远恒信博瑞联天安泰和美科蓝海金石启明宏图")
TRADES = ["科技", "信息技术", "网络", "软件", "电子", "贸易", "制造", "咨询", "物流", "医疗器械"]
LEVELS = [(1, 200), (8, 100), (32, 40)]  # (clients, requests per client)
BATCH_CALLS, BATCH_SIZE = 4, 500
# As deployed (deploy/gunicorn.conf.py's default, two a pod). On these 2 cores 4 did no better (runs of
# 2026-11-23 at 8 clients: 4 workers 64.6-74.0/s, p99 183-292 ms; 2 workers 76.6/s, p99 162 ms).
WEB_WORKERS = 2
WARM_UP = (4, 30)  # untimed (clients, requests each) first: every worker's connections and first cache refresh
RSS_LOAD = (8, 40)  # the same load before each RSS reading: (clients, requests each)
SEED_CHUNK = 10_000
FINISH_RESERVE_S = 120  # kept for the last service start and RSS reading after seeding stops
BUILD_S_PER_RECORD = 1 / 2500  # kept as well for building the companies' indexes (measured: 347 s at 1M)


def company_name(rng: random.Random) -> str:
    """A plausible, varied Chinese company name: region, two brand syllables, trade, legal form."""
    return (rng.choice(REGIONS) + "".join(rng.sample(SYLLABLES, 2)) + rng.choice(TRADES) +
            rng.choice(["有限公司", "股份有限公司", "有限责任公司"]))


# Characters no seeded name uses, for --new-companies: a measured lead's company then shares no
# blocking key with a stored one (a new company, no candidates), where by default every measured lead
# is a possible duplicate of about 14 stored leads (the seeded names share about 8,700 company keys).
UNSEEN = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥春夏秋冬梅兰竹菊松柏江河湖山川岳峰谷"
NEW_COMPANIES = False


def submitted_company(rng: random.Random) -> str:
    """The company a measured lead names (see UNSEEN)."""
    if not NEW_COMPANIES:
        return company_name(rng)
    return rng.choice(REGIONS) + "".join(rng.sample(UNSEEN, 3)) + rng.choice(TRADES) + "有限公司"


def seed(db, count: int, *, migrated: bool = True) -> None:
    """Stored leads with their identity keys and company records, as intake would have left them
    (or, with migrated=False, as the previous release stored them, for the migration to rewrite)."""
    from lead_intake.dedup import companies as company_records
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
            companies.append(company_records.document("lead", lead_id, parse(company), city) if migrated else
                             {"_id": f"lead:{lead_id}", "kind": "lead", "record_id": lead_id, "city": city,
                              "company_key": company_key(company), "removed": False})
        db.leads.insert_many(leads, ordered=False)
        db.identity_keys.insert_many(keys, ordered=False)
        db.companies.insert_many(companies, ordered=False)


def seed_companies(db, target: int, deadline: float) -> int:
    """More company records (customer copies), prepared here by the same code intake stores them with
    and inserted straight into the collection, until `target` are stored or the deadline; -> how many.

    The collection's indexes are dropped first and built again at the end: SecantusDB inserted 900k
    company records under their indexes at about 1,350/s, without them in 144 s plus a 347 s build.
    A thread prepares the next chunk while the server inserts this one (the server is another process).
    """
    from concurrent.futures import ThreadPoolExecutor
    from lead_intake.dedup import companies as company_records
    from lead_intake.service import INDEXES
    rng, stored = random.Random(13), db.companies.estimated_document_count()
    names = {}  # the few thousand distinct names, parsed once

    def chunk(first: int) -> list[dict]:
        docs = []
        for i in range(first, min(target, first + SEED_CHUNK)):
            raw = company_name(rng)
            name = names.get(raw) or names.setdefault(raw, parse(raw))
            docs.append(company_records.document("customer", f"seed-c{i}", name, CITIES[i % len(CITIES)]))
        return docs

    if stored >= target:
        return stored
    db.companies.drop_indexes()
    with ThreadPoolExecutor(1) as prepare:
        ready = prepare.submit(chunk, stored) if stored < target else None
        while ready is not None:
            docs = ready.result()
            after = stored + len(docs)
            ready = (prepare.submit(chunk, after) if after < target and
                     time.monotonic() + after * BUILD_S_PER_RECORD < deadline else None)
            db.companies.insert_many(docs, ordered=False)
            stored += len(docs)
    started = time.monotonic()
    db.companies.create_indexes(INDEXES["companies"])
    print(f"companies' indexes built over {stored} records in {time.monotonic() - started:.0f} s", flush=True)
    return stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=100_000, help="stored leads")
    parser.add_argument("--companies", type=int, default=1_000_000, help="stored companies for the second RSS reading")
    parser.add_argument("--minutes", type=float, default=15, help="the whole run's time limit")
    parser.add_argument("--quick", action="store_true", help="8 clients and the batch only")
    parser.add_argument("--migrate", action="store_true", help="time the migration of old records")
    parser.add_argument("--rss-only", action="store_true", help="seed, then only the two RSS readings")
    parser.add_argument("--workers", type=int, default=WEB_WORKERS, help="gunicorn workers of the measured service")
    parser.add_argument("--no-rss", action="store_true", help="leave out the RSS readings (and the 1M seeding)")
    parser.add_argument("--new-companies", action="store_true",
                        help="measured leads name companies no stored lead shares (default: possible duplicates)")
    args = parser.parse_args()
    global NEW_COMPANIES
    NEW_COMPANIES = args.new_companies
    deadline = time.monotonic() + 60 * args.minutes
    with servers() as running:
        client = MongoClient(running.mongo_uri)
        db = client.crm_lead_intake
        started = time.monotonic()
        seed(db, args.stored, migrated=not args.migrate)  # before the service starts, as a restart would find them
        print(f"seeded {args.stored} leads in {time.monotonic() - started:.0f} s", flush=True)
        if args.migrate:
            migrate_timed(db)
        if not args.rss_only:
            round_trips(running)
            results = {}
            with service(running, "lead_intake", workers=args.workers) as url:
                key = new_channel(url, running.mongo_uri)
                measure(url, key, db, client, running.kind, results, quick=args.quick)
            print_targets(results)
        if args.no_rss:
            return
        small, low = db.companies.estimated_document_count(), rss_after_load(running)
        started = time.monotonic()
        large = seed_companies(db, args.companies, deadline - FINISH_RESERVE_S)
        print(f"seeded companies up to {large} in {time.monotonic() - started:.0f} s"
              + ("" if large >= args.companies else f" (stopped by the {args.minutes:.0f}-minute limit)"), flush=True)
        high = rss_after_load(running)
        print(f"RSS per web worker (the largest, after {RSS_LOAD[0]}x{RSS_LOAD[1]} requests): {low:.0f} MB at {small} "
              f"stored companies, {high:.0f} MB at {large}: {high / low:.2f}x (target: within 1.2x)", flush=True)


def migrate_timed(db) -> None:
    from lead_intake.migrations.migrate_keys import migrate
    for run in ("first", "second"):
        started = time.monotonic()
        counts = migrate(db)
        print(f"migrate_keys, {run} run: {time.monotonic() - started:.1f} s, rewritten {counts}", flush=True)


class Counter(monitoring.CommandListener):
    """Commands sent to MongoDB, by name (each is one round trip)."""
    commands: collections.Counter = collections.Counter()

    def started(self, event):
        Counter.commands[event.command_name] += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def round_trips(running, leads: int = 50) -> None:
    """Commands sent to MongoDB per new lead, counted in-process on the app's own client."""
    monitoring.register(Counter())
    from lead_intake.app import create_app
    settings = Settings.from_env("lead-intake", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET,
                                                 "MONGO_URI": running.mongo_uri, "LOG_LEVEL": "WARNING",
                                                 "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap})
    app = create_app(settings)
    web = app.test_client()
    known_users(app.extensions["crm"].db, "b")
    admin = {"Authorization": "Bearer " + issue_token(settings.jwt_secret, Principal("b", "b", "admin"), 3600)}
    key = {"X-API-Key": web.post("/v1/channels", json={"name": "rt", "rate_limit_per_minute": 100000},
                                 headers=admin).json["api_key"]}
    rng = random.Random(5)
    for n in range(5):  # warm: channel cache
        web.post("/v1/leads", headers=key, json={"name": f"w{n}", "phone": f"+86136{n:08d}",
                                                 "company": company_name(rng), "city": "city1"})
    before = collections.Counter(Counter.commands)
    for n in range(leads):
        response = web.post("/v1/leads", headers=key, json={"name": f"r{n}", "phone": f"+86135{n:08d}",
                                                            "company": company_name(rng), "city": "city1"})
        assert response.status_code == 201, response.json
    print_commands("round trips per new lead", Counter.commands - before, leads)
    before = collections.Counter(Counter.commands)
    rows = [{"name": f"b{n}", "phone": f"+86134{n:08d}", "company": company_name(rng), "city": random.choice(CITIES)}
            for n in range(BATCH_SIZE)]
    report = web.post("/v1/leads:batch", headers=key, json={"leads": rows}).json
    assert report["created"] == BATCH_SIZE, report
    print_commands(f"round trips per lead in a batch of {BATCH_SIZE}", Counter.commands - before, BATCH_SIZE)


def print_commands(label: str, counted: collections.Counter, leads: int) -> None:
    by_name = ", ".join(f"{name} {n / leads:.2f}" for name, n in counted.most_common())
    print(f"{label}: {sum(counted.values()) / leads:.2f} (pymongo command listener, {leads} leads; {by_name})",
          flush=True)


def new_channel(url: str, mongo_uri: str) -> dict:
    known_users(MongoClient(mongo_uri).crm_lead_intake, "bench")
    settings = Settings.from_env("lead-intake", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET})
    admin = {"Authorization": "Bearer " + issue_token(settings.jwt_secret, Principal("bench", "bench", "admin"), 3600)}
    return {"X-API-Key": requests.post(url + "/v1/channels", json={"name": "bench", "rate_limit_per_minute": 100_000},
                                       headers=admin, timeout=10).json()["api_key"]}


NUMBERS = itertools.count(10_000_000)


def intake_clients(url: str, key: dict, rng: random.Random):
    """make_call for run_clients: each client posts new leads on its own HTTP session."""
    def make(_index):
        session = requests.Session()

        def call(_i):
            n = next(NUMBERS)
            response = session.post(url + "/v1/leads", headers=key, timeout=30, json={
                "name": f"bench {n}", "phone": f"+86139{n:08d}", "company": submitted_company(rng),
                "city": random.choice(CITIES)})
            assert response.status_code == 201, response.text
        return call
    return make


def measure(url: str, key: dict, db, client, kind: str, results: dict, quick: bool = False) -> None:
    rng = random.Random(11)
    print(f"lead intake with de-duplication, {db.leads.count_documents({})} stored leads "
          f"(MongoDB: {kind} servers; steady state, after {WARM_UP[0] * WARM_UP[1]} untimed requests)")

    def transaction_call(_index):
        # The least any atomic intake writes: the lead, its key, its outbox row, in one transaction.
        def call(i):
            with client.start_session() as session:
                session.with_transaction(lambda s: [client.bench[name].insert_one({"n": i}, session=s)
                                                    for name in ("leads", "keys", "outbox")])
        return call

    cpu = CpuMeter(url, client)
    for clients, per_client in [WARM_UP] + ([(8, 100)] if quick else LEVELS):
        cpu.start()
        measured = run_clients(clients, per_client, intake_clients(url, key, rng))
        if (clients, per_client) == WARM_UP:
            continue
        used = cpu.per_call(clients * per_client)
        cpu.start()
        bare = run_clients(clients, per_client, transaction_call)
        results[clients] = (measured, bare)
        print_row(f"POST /v1/leads, {clients:>2} clients", measured, bare)
        print(f"  CPU ms a lead: {used}; a bare transaction: {cpu.per_call(clients * per_client)}", flush=True)
    cpu.start()
    batch = run_clients(1, BATCH_CALLS, lambda _index: lambda _i: _batch_call(url, key, rng))
    results["batch"] = {"rate": batch["rate"] * BATCH_SIZE, "p50_ms": batch["p50_ms"], "p99_ms": batch["p99_ms"]}
    print(f"POST /v1/leads:batch, {BATCH_SIZE} a call    {results['batch']['rate']:>9.1f} leads/s  "
          f"p50 {batch['p50_ms']:>7.0f} ms a call", flush=True)
    print(f"  CPU ms a lead: {cpu.per_call(BATCH_CALLS * BATCH_SIZE)}", flush=True)
    verdicts = collections.Counter(lead["dedup"]["verdict"] for lead in db.leads.find(
        {"name": {"$regex": "^bench "}}, {"dedup.verdict": 1}))
    print(f"verdicts of the measured leads ({'new companies' if NEW_COMPANIES else 'the seeded names'}): "
          + ", ".join(f"{verdict} {n}" for verdict, n in verdicts.most_common()), flush=True)


class CpuMeter:
    """CPU time used by MongoDB's server, the service's web workers and this process (the clients),
    per call, from /proc: where a lead's time goes on the shared cores."""

    def __init__(self, url: str, client):
        port = str(client.address[1])
        self.server = next((pid for pid in os.listdir("/proc") if pid.isdigit() and _ppid(pid) == os.getpid()
                            and f"--port {port} " in _cmdline(pid)), None)
        bind = url.removeprefix("http://")
        master = next(pid for pid in os.listdir("/proc") if pid.isdigit() and bind in _cmdline(pid)
                      and "gunicorn" in _cmdline(pid) and _ppid(pid) == os.getpid())
        self.workers = [pid for pid in os.listdir("/proc") if pid.isdigit() and _ppid(pid) == int(master)]
        self.before = self._now()

    def _now(self) -> dict:
        own = os.times()
        return {"server": _cpu_s(self.server) if self.server else 0.0,
                "web workers": sum(_cpu_s(pid) for pid in self.workers), "clients": own.user + own.system}

    def start(self) -> None:
        self.before = self._now()

    def per_call(self, calls: int) -> str:
        after = self._now()
        used = {name: 1000 * (after[name] - self.before[name]) / calls for name in after}
        return ", ".join(f"{name} {ms:.1f}" for name, ms in used.items()) + f" (total {sum(used.values()):.1f})"


def _cpu_s(pid: str) -> float:
    """utime + stime of a process, in seconds."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


def print_targets(results: dict) -> None:
    """The issue's targets, each with its figures from this run."""
    if 8 in results:
        measured, bare = results[8]
        ratio, p99 = measured["rate"] / bare["rate"], measured["p99_ms"] / bare["p99_ms"]
        print(f"target, 8 clients: {ratio:.2f} of the bare transaction's rate (>= 0.5: {_met(ratio >= 0.5)}), "
              f"p99 {p99:.2f}x the bare p99 (< 3: {_met(p99 < 3)})", flush=True)
    singles = {clients: pair[0]["rate"] for clients, pair in results.items() if clients != "batch"}
    for clients, rate in sorted(singles.items()):
        gain = results["batch"]["rate"] / rate
        print(f"target, batch: {gain:.1f}x the single-lead rate at {clients} clients (>= 5: {_met(gain >= 5)})",
              flush=True)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def rss_after_load(running) -> float:
    """A fresh service, the same load each time, then the largest RSS among its web workers."""
    with service(running, "lead_intake", workers=WEB_WORKERS) as url:
        run_clients(*RSS_LOAD, intake_clients(url, new_channel(url, running.mongo_uri), random.Random(17)))
        return max(worker_rss(url))


def worker_rss(url: str) -> list[float]:
    """RSS in MB of the gunicorn workers serving `url` (found by the bind address in their master's command line)."""
    bind = url.removeprefix("http://")
    master = next(pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid).find(bind) >= 0
                  and "gunicorn" in _cmdline(pid) and _ppid(pid) == os.getpid())
    workers = [pid for pid in os.listdir("/proc") if pid.isdigit() and _ppid(pid) == int(master)]
    sizes = [_rss_mb(pid) for pid in workers]
    print(f"RSS of the {len(sizes)} web workers: " + ", ".join(f"{m:.0f} MB" for m in sizes), flush=True)
    return sizes


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


def _batch_call(url: str, key: dict, rng) -> None:
    rows = []
    for _ in range(BATCH_SIZE):
        n = next(NUMBERS)
        rows.append({"name": f"bench {n}", "phone": f"+86139{n:08d}", "company": submitted_company(rng),
                     "city": random.choice(CITIES)})
    response = requests.post(url + "/v1/leads:batch", headers=key, json={"leads": rows}, timeout=300)
    assert response.status_code == 200 and response.json()["created"] == BATCH_SIZE, response.text[:300]


if __name__ == "__main__":
    main()

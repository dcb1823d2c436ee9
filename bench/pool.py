"""The pool: one reclaim pass at two held sizes with the same due count, and claim latency,
each beside raw MongoDB operations on the same server in the same run.

- reclaim pass: `reclaim.job.reclaim_due` with H customers held, 1,000 of them due, at H = 100k and
  H = 1M (the same 1,000 due): the pass should cost the same, because it reads the due
  customers through the (status, next_due_at) index and writes them in batches.
  Baseline: a raw indexed `find` of the same 1,000 and one `update_many` of them.
- claims: POST /v1/pools/default/customers/<id>/claim by 20 concurrent claimers under gunicorn
  (each claim one transaction: the rep's day counter, the limits, the entry, a movement, an outbox
  row). Baseline: a raw `find_one_and_update` by 20 concurrent threads.
Run: .venv/bin/python -m bench.pool [--held 100000,1000000] [--due 1000]
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

import requests
from pymongo import MongoClient

from bench.common import JWT_SECRET, known_users, run_clients, servers, service
from crm_common.auth import Principal, issue_token
from crm_common.service import bootstrap
from crm_common.settings import Settings
from pool.reclaim import job
from pool.service import SPEC

REPS = 50
CLAIMERS, CLAIMS_EACH = 20, 25
PASSES = 3


def entry(i: int, now: datetime, *, due: bool) -> dict:
    owned_since = now - timedelta(days=8 if due else 1)
    owner = f"rep-{i % REPS}"
    return {"_id": f"c{i:08d}", "customer_id": f"c{i:08d}", "name": f"Customer {i}", "owner_id": owner,
            "department_path": ["sales"], "collaborator_ids": [], "level": "B", "lifecycle": "potential",
            "stage": "lead_acquired", "status": "owned", "owned_since": owned_since, "pool_id": "default",
            "last_followup_at": None, "first_contact_due_at": None, "pending": None,
            "warned": [2], "warned_due_at": owned_since + timedelta(days=7),
            "reclaim_due_at": owned_since + timedelta(days=7), "reclaim_rule": "no_followup",
            "next_due_at": owned_since + timedelta(days=7 if due else 5)}


def seed(db, start: int, stop: int, now: datetime, due_ids: set) -> None:
    for first in range(start, stop, 10000):
        batch = [entry(i, now, due=i in due_ids) for i in range(first, min(stop, first + 10000))]
        db.pool_entries.insert_many(batch, ordered=False)


def reset_due(db, due_ids: set, now: datetime) -> None:
    """Put the due customers back as they were before a pass, so every pass sees the same 1,000."""
    ids = [f"c{i:08d}" for i in due_ids]
    db.pool_entries.delete_many({"_id": {"$in": ids}})
    db.pool_entries.insert_many([entry(i, now, due=True) for i in sorted(due_ids)])


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def raw_pass(db, now: datetime) -> float:
    def work():
        ids = [d["_id"] for d in db.pool_entries.find({"status": "owned", "next_due_at": {"$lte": now}}, {"_id": 1})]
        db.pool_entries.update_many({"_id": {"$in": ids}}, {"$set": {"status": "in_pool", "owner_id": None}})
    return timed(work)


def reclaim_rows(rt, db, held_sizes: list[int], due: int) -> None:
    now = datetime.now(timezone.utc)
    step = held_sizes[0] // due
    due_ids = {i * step for i in range(due)}
    seeded = 0
    for held in held_sizes:
        started = time.perf_counter()
        seed(db, seeded, held, now, due_ids)
        seeded = held
        print(f"seeded {held:,} held customers in {time.perf_counter() - started:.0f} s", flush=True)
        time.sleep(5)  # let the server finish writing the seed out before timing anything
        service_runs, raw_runs = [], []
        for _ in range(PASSES):
            reset_due(db, due_ids, now)
            result = {}
            service_runs.append(timed(lambda: result.update(job.reclaim_due(rt))))
            assert result["reclaimed"] == due, result
            reset_due(db, due_ids, now)
            raw_runs.append(raw_pass(db, now))
        service_s, raw_s = statistics.median(service_runs), statistics.median(raw_runs)
        print(f"reclaim pass (median of {PASSES}), {held:>9,} held, {due:,} due: {service_s:6.2f} s  "
              f"({1000 * service_s / due:.2f} ms per due customer)  | raw find + update_many "
              f"{raw_s:6.2f} s ({1000 * raw_s / due:.3f} ms per customer)  | ratio {service_s / raw_s:.1f}",
              flush=True)


def claim_rows(running, db) -> None:
    now = datetime.now(timezone.utc)
    db.pools.update_one({"_id": "default"}, {"$set": {"rules.daily_claim_limit": 100000,
                                                      "rules.holding_limit": 1000000}})
    db.users.insert_many([{"_id": f"claimer-{n}", "username": f"claimer-{n}", "role": "rep",
                           "department_path": ["sales"], "active": True} for n in range(CLAIMERS)])
    known_users(db, *(f"claimer-{n}" for n in range(CLAIMERS)))
    pooled = [{**entry(10**7 + i, now, due=False), "status": "in_pool", "owner_id": None, "next_due_at": None,
               "previous_owner_id": "someone", "reclaimed_at": now - timedelta(days=1)}
              for i in range(CLAIMERS * CLAIMS_EACH)]
    db.pool_entries.insert_many(pooled)
    db.raw_claims.insert_many([{"_id": p["_id"], "status": "in_pool"} for p in pooled])
    with service(running, "pool") as url:
        def make_call(index):
            session = requests.Session()
            token = issue_token(JWT_SECRET, Principal(f"claimer-{index}", "c", "rep", ["sales"]), 3600)
            session.headers["Authorization"] = f"Bearer {token}"

            def call(i):
                customer_id = pooled[index * CLAIMS_EACH + i]["_id"]
                response = session.post(f"{url}/v1/pools/default/customers/{customer_id}/claim", timeout=60)
                assert response.status_code == 200, response.text
            return call
        measured = run_clients(CLAIMERS, CLAIMS_EACH, make_call)

    def raw_call(index):
        def call(i):
            customer_id = pooled[index * CLAIMS_EACH + i]["_id"]
            assert db.raw_claims.find_one_and_update({"_id": customer_id, "status": "in_pool"},
                                                     {"$set": {"status": "owned", "owner_id": index}})
        return call
    baseline = run_clients(CLAIMERS, CLAIMS_EACH, raw_call)
    print(f"claims, {CLAIMERS} concurrent claimers: p50 {measured['p50_ms']:.1f} ms  p99 {measured['p99_ms']:.1f} ms"
          f"  {measured['rate']:.1f}/s  | raw find_one_and_update p50 {baseline['p50_ms']:.2f} ms"
          f"  p99 {baseline['p99_ms']:.2f} ms  {baseline['rate']:.1f}/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--held", default="100000,1000000", help="held sizes, comma-separated, ascending")
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    held = [int(h) for h in args.held.split(",")]
    with servers() as running:
        settings = Settings.from_env("pool", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "WARNING",
                                              "MONGO_URI": running.mongo_uri,
                                              "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap})
        rt = bootstrap(SPEC, settings)
        db = MongoClient(running.mongo_uri, tz_aware=True)[settings.mongo_db]
        claim_rows(running, db)
        reclaim_rows(rt, db, held, args.due)
        rt.close()


if __name__ == "__main__":
    main()

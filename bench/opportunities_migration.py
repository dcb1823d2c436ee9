"""The opportunities migration (customer.migrations.make_opportunities) over N customers stored before
opportunities, beside a raw insert_many of the same deals into the same server in the same run.

- seed: N customers as the release before opportunities left them (stage, loss reason, qualification
  on every third, no deal fields), 1 in 5 with a contract, each with 2 stage-history rows; the
  customer service's indexes, as a deployed database has them.
- first run: every customer gets its deal, contracts and stage history name it, events are queued.
- second run: makes and links nothing (asserted), but reads every customer, contract and history row.
- baseline: insert_many of the deals the first run made, into a fresh collection with the
  opportunities' indexes: the write alone, without reads, transactions, updates or events.
Run: .venv/bin/python -m bench.opportunities_migration [--customers N]
"""
from __future__ import annotations

import argparse
import copy
import random
import time
from datetime import datetime, timedelta, timezone

from bson.decimal128 import Decimal128
from pymongo import MongoClient

from bench.common import servers
from crm_common import mongo
from customer.migrations.make_opportunities import migrate
from customer.pipelines import stages
from customer.service import INDEXES

STAGES = [s["key"] for s in stages.DEFAULT_PIPELINE["stages"]]
BATCH = 5000
REPS = 50


def seed(db, count: int) -> None:
    """Customers, contracts and stage history in the pre-opportunity shape, written in bulk."""
    rng, now = random.Random(23), datetime.now(timezone.utc)
    for start in range(0, count, BATCH):
        customers, contracts, history = [], [], []
        for i in range(start, min(count, start + BATCH)):
            customer_id, stage, signed = f"c{i:07d}", rng.choice(STAGES), i % 5 == 0
            entered = now - timedelta(days=rng.randrange(1, 400))
            customers.append({
                "_id": customer_id, "name": f"Customer {i}", "kind": "company", "level": rng.choice("ABC"),
                "tags": [], "owner_id": f"rep{i % REPS}", "department_path": ["root", f"d{i % 5}"],
                "collaborator_ids": [], "contacts": [], "pipeline_id": "default", "stage": stage,
                "stage_entered_at": entered, "lifecycle": "potential", "milestones": {},
                "loss_reason": "price" if stage == "lost" else None, "interest_expressed": stage != "lead_acquired",
                "qualification": {"qualitative": "valuable", "grade": rng.choice(["small", "large"]),
                                  "expected_amount": Decimal128(f"{rng.randrange(1, 900)}000.00"),
                                  "expected_sign_date": "2027-06-30", "by": "rep0", "at": entered}
                if i % 3 == 0 else None,
                "contract_count": 1 if signed else 0, "claim_count": 0, "followup_count": 0,
                "company_key": f"customer{i}", "source_lead_id": None, "in_pool": False,
                "created_at": entered - timedelta(days=30), "updated_at": entered, "version": 3})
            if signed:
                contracts.append({"_id": f"k{i:07d}", "customer_id": customer_id, "status": "active",
                                  "amount": Decimal128(f"{rng.randrange(1, 500)}000.50"), "paid": Decimal128("0"),
                                  "start_date": "2026-01-01", "end_date": "2026-12-31"})
            history += [{"_id": f"h{i:07d}-{n}", "customer_id": customer_id, "from": a, "to": b, "by": "rep0",
                         "at": entered} for n, (a, b) in enumerate([(STAGES[0], STAGES[1]), (STAGES[1], stage)])]
        db.customers.insert_many(customers, ordered=False)
        if contracts:
            db.contracts.insert_many(contracts, ordered=False)
        db.stage_history.insert_many(history, ordered=False)


def baseline(db) -> float:
    """Seconds to insert_many the deals the migration made into a fresh, likewise indexed collection."""
    scratch = db.bench_deals
    scratch.create_indexes(INDEXES["opportunities"])
    spent, after = 0.0, ""
    while deals := list(db.opportunities.find({"_id": {"$gt": after}}).sort("_id", 1).limit(BATCH)):
        started = time.perf_counter()
        scratch.insert_many(deals, ordered=False)
        spent += time.perf_counter() - started
        after = deals[-1]["_id"]
    return spent


def timed(db) -> tuple[dict, float]:
    started = time.perf_counter()
    counts = migrate(db)
    return counts, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    with servers() as running:
        db = MongoClient(running.mongo_uri, tz_aware=True).crm_customer
        started = time.perf_counter()
        db.pipelines.insert_one(copy.deepcopy(stages.DEFAULT_PIPELINE))
        mongo.ensure_indexes(db, INDEXES)
        seed(db, args.customers)
        stored = {name: db[name].count_documents({}) for name in ("customers", "contracts", "stage_history")}
        print(f"stored {stored}, seeded in {time.perf_counter() - started:.0f} s (MongoDB: {running.kind})", flush=True)

        first, first_s = timed(db)
        print(f"first run:  {first} in {first_s:.1f} s ({args.customers / first_s:.0f} customers/s)", flush=True)
        expected = {"customers": stored["customers"], "opportunities": stored["customers"],
                    "contracts": stored["contracts"], "stage_history": stored["stage_history"]}
        assert first == expected, (first, expected)
        second, second_s = timed(db)
        print(f"second run: {second} in {second_s:.1f} s", flush=True)
        assert second == dict.fromkeys(expected, 0), second
        assert db.opportunities.count_documents({}) == stored["customers"]

        insert_s = baseline(db)
        print(f"baseline insert_many of the {stored['customers']} deals: {insert_s:.1f} s"
              f" | ratio first run {first_s / insert_s:.1f}x, second run {second_s / insert_s:.1f}x", flush=True)


if __name__ == "__main__":
    main()

"""The customer service under load, against 100k stored customers, beside the raw MongoDB
queries of the same server in the same run.

- list: a rep's first page, scoped (own or collaborated) and filtered by stage, over HTTP;
  baseline: a raw pymongo `find` of one page of the rep's own customers in that stage (the service
  runs it plus the collaborator branch of the scope, merged by id).
- follow-up write: POST /v1/customers/<id>/followups (transaction: follow-up, customer
  update with version check, outbox row); baseline: the same raw find, and a raw insert_one.
Run: .venv/bin/python -m bench.customer [--stored N]
"""
from __future__ import annotations

import argparse
import itertools
import random
import time
from datetime import datetime, timedelta, timezone

import requests
from bson import ObjectId
from pymongo import MongoClient

from bench.common import JWT_SECRET, run_clients, servers, service
from crm_common.auth import Principal, issue_token
from crm_common.settings import Settings
from customer.pipelines import stages

STAGES = [s["key"] for s in stages.DEFAULT_PIPELINE["stages"]]
DEPARTMENTS, REPS_PER_DEPARTMENT = 5, 10
LEVELS = [(1, 100), (8, 25)]  # (clients, requests per client)


def seed(db, count: int) -> list[dict]:
    """Customers as the service stores them, spread over 50 reps in 5 departments."""
    rng, now = random.Random(5), datetime.now(timezone.utc)
    reps = [{"_id": str(ObjectId()), "department_path": ["root", f"d{d}"]}
            for d in range(DEPARTMENTS) for _ in range(REPS_PER_DEPARTMENT)]
    for start in range(0, count, 5000):
        batch = []
        for i in range(start, min(count, start + 5000)):
            rep = reps[i % len(reps)]
            batch.append({
                "_id": str(ObjectId()), "name": f"Customer {i}", "kind": "company", "level": rng.choice("ABC"),
                "tags": [], "owner_id": rep["_id"], "department_path": rep["department_path"],
                "collaborator_ids": [reps[(i + 7) % len(reps)]["_id"]] if i % 10 == 0 else [],
                "contacts": [{"contact_id": str(ObjectId()), "name": f"c{i}", "phones": [f"+86137{i:08d}"],
                              "emails": [], "wechat_ids": []}],
                "pipeline_id": "default", "stage": rng.choice(STAGES), "stage_entered_at": now,
                "lifecycle": "potential", "milestones": {}, "qualification": None, "claim_count": 0,
                "followup_count": 0, "last_followup_at": None, "next_contact_at": None, "contract_count": 0,
                "purchases": 0, "order_total": 0, "paid_total": 0, "opportunity_total": 0, "outstanding": 0,
                "completeness": 0.3, "company_key": f"customer{i}", "source_lead_id": None, "in_pool": False,
                "created_at": now, "updated_at": now, "version": 1})
        db.customers.insert_many(batch, ordered=False)
    return reps


def row(label: str, measured: dict, baseline: dict, baseline_label: str) -> None:
    print(f"{label:<40} p50 {measured['p50_ms']:>7.2f} ms  p99 {measured['p99_ms']:>7.2f} ms  {measured['rate']:>8.1f}/s"
          f" | {baseline_label} p50 {baseline['p50_ms']:>6.2f} ms  p99 {baseline['p99_ms']:>6.2f} ms"
          f" | ratio p50 {measured['p50_ms'] / baseline['p50_ms']:>5.1f}x  p99 {measured['p99_ms'] / baseline['p99_ms']:>5.1f}x",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=100_000)
    args = parser.parse_args()
    with servers() as running, service(running, "customer") as url:
        client = MongoClient(running.mongo_uri, tz_aware=True)
        db = client.crm_customer
        started = time.perf_counter()
        reps = seed(db, args.stored)
        print(f"customer service, {db.customers.count_documents({})} stored customers, seeded in "
              f"{time.perf_counter() - started:.0f} s (MongoDB: {running.kind} servers)")
        settings = Settings.from_env("customer", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET})
        principals = [Principal(r["_id"], r["_id"], "rep", r["department_path"]) for r in reps]
        tokens = [{"Authorization": "Bearer " + issue_token(settings.jwt_secret, p, 3600)} for p in principals]
        stage = "proposal"
        owned = {r["_id"]: [c["_id"] for c in db.customers.find({"owner_id": r["_id"]}, {"_id": 1}).limit(500)]
                 for r in reps}
        when = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
        counter = itertools.count()

        def http_list(index):
            session, headers = requests.Session(), tokens[index % len(tokens)]

            def call(_i):
                response = session.get(url + "/v1/customers", params={"stage": stage, "limit": 50},
                                       headers=headers, timeout=30)
                assert response.status_code == 200 and response.json()["items"], response.text
            return call

        def raw_find(index):
            mongo = MongoClient(running.mongo_uri, tz_aware=True).crm_customer
            # One page of the rep's own customers in the stage: the indexed query the service's scope starts from.
            query = {"owner_id": principals[index % len(principals)].user_id, "stage": stage}
            return lambda _i: list(mongo.customers.find(query).sort("_id", 1).limit(51))

        def http_followup(index):
            session, rep = requests.Session(), reps[index % len(reps)]
            headers, ids = tokens[index % len(tokens)], owned[rep["_id"]]

            def call(i):
                response = session.post(f"{url}/v1/customers/{ids[i % len(ids)]}/followups", headers=headers,
                                        timeout=30, json={"channel": "phone", "content": "called", "goal_met": True,
                                                          "next_plan": "send quote", "next_contact_at": when})
                assert response.status_code == 201, response.text
            return call

        def raw_insert(_index):
            mongo = MongoClient(running.mongo_uri).crm_customer
            return lambda _i: mongo.bench_scratch.insert_one({"n": next(counter), "content": "called"})

        for clients, per_client in LEVELS:
            find = run_clients(clients, per_client, raw_find)
            listed = run_clients(clients, per_client, http_list)
            row(f"list page, scoped, stage filter, {clients} cl", listed, find, "raw find")
            written = run_clients(clients, per_client, http_followup)
            inserted = run_clients(clients, per_client, raw_insert)
            row(f"follow-up write, {clients} cl", written, find, "raw find")
            row(f"follow-up write, {clients} cl", written, inserted, "raw insert_one")


if __name__ == "__main__":
    main()

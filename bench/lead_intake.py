"""Lead intake through the HTTP API with de-duplication on, against 100k stored leads,
beside the raw insert_one rate of the same MongoDB server at the same concurrency.

Target (issue 3): intake >= 30% of the raw insert rate; p99 < 50 ms at 8 clients.
The second baseline, a bare 3-insert transaction, is the floor any atomic intake pays here.
Run: make bench, or .venv/bin/python -m bench.lead_intake [--stored N]
"""
from __future__ import annotations

import argparse
import itertools
import random

import requests
from bson import ObjectId
from pymongo import MongoClient

from bench.common import JWT_SECRET, print_row, run_clients, servers, service
from lead_intake.companies import document
from crm_common.identity import company_key
from crm_common.auth import Principal, issue_token
from crm_common.settings import Settings

CITIES = [f"city{i}" for i in range(300)]
REGIONS = ["", "北京", "上海", "深圳", "杭州"]
SYLLABLES = list("华星云智达创新远恒信博瑞联天安泰和美科蓝海金石启明宏图")
TRADES = ["科技", "信息技术", "网络", "软件", "电子", "贸易", "制造", "咨询", "物流", "医疗器械"]
LEVELS = [(1, 200), (8, 100), (32, 40)]  # (clients, requests per client)
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
            companies.append(document("lead", lead_id, company_key(company), city))
        db.leads.insert_many(leads, ordered=False)
        db.identity_keys.insert_many(keys, ordered=False)
        db.companies.insert_many(companies, ordered=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=100_000)
    args = parser.parse_args()
    with servers() as running:
        client = MongoClient(running.mongo_uri)
        db = client.crm_lead_intake
        seed(db, args.stored)  # before the service starts, as a restart would find them
        with service(running, "lead_intake") as url:
            measure(url, db, client, running.kind)


def measure(url: str, db, client, kind: str) -> None:
    settings = Settings.from_env("lead-intake", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET})
    admin = {"Authorization": "Bearer " + issue_token(settings.jwt_secret, Principal("bench", "bench", "admin"), 3600)}
    key = {"X-API-Key": requests.post(url + "/v1/channels", json={"name": "bench", "rate_limit_per_minute": 100000},
                                      headers=admin, timeout=10).json()["api_key"]}
    numbers, rng = itertools.count(10_000_000), random.Random(11)
    print(f"lead intake with de-duplication, {db.leads.count_documents({})} stored leads "
          f"(MongoDB: {kind} servers; steady state, after {WARM_UP[0] * WARM_UP[1]} untimed requests)")
    for clients, per_client in [WARM_UP] + LEVELS:
        def intake_call(_index):
            session = requests.Session()

            def call(_i):
                n = next(numbers)
                response = session.post(url + "/v1/leads", headers=key, timeout=30, json={
                    "name": f"bench {n}", "phone": f"+86139{n:08d}", "company": company_name(rng),
                    "city": random.choice(CITIES)})
                assert response.status_code == 201, response.text
            return call

        def insert_call(_index):
            return lambda _i: client.bench.raw.insert_one({"name": "bench", "phone": "+86139", "n": _i})

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
        print_row(f"POST /v1/leads, {clients:>2} clients", measured, run_clients(clients, per_client, insert_call))
        print_row(f"  beside a 3-insert transaction", measured, run_clients(clients, per_client, transaction_call))


if __name__ == "__main__":
    main()

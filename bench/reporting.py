"""Reporting: how fast events go into the read models, and how fast reports answer at 100k and
1M customers, beside raw MongoDB operations on the same server in the same run.

- ingestion: customer events applied one by one as the consumer loop does (contract, version guard,
  handler, tallies, one transaction); baselines: a raw insert_many of the same events, and a raw
  insert_one per event.
- latency: funnel, per rep, going cold (admin, over HTTP under gunicorn), funnel for a manager, and a
  rep's workbench, at each size; baseline: a raw find of one page (50) of one rep's customers.
  The read models are seeded directly (records and tallies as the handlers build them), since
  applying a million customers' events one by one would take hours here.
Run: .venv/bin/python -m bench.reporting [--sizes 100000,1000000] [--events 3000]
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone

import requests
from pymongo import MongoClient

from bench.common import JWT_SECRET, run_clients, servers, service
from crm_common import consumer
from crm_common.auth import Principal, issue_token
from crm_common.service import bootstrap
from crm_common.settings import Settings
from reporting import handlers, store
from reporting.basics import STAGES
from reporting.model import contributions
from reporting.service import SPEC, live_handlers

REPS, DEPARTMENTS, CHANNELS, CAMPAIGNS = 200, 10, ("web", "expo", "wechat", "partner"), ("spring", "autumn")
NOW = datetime.now(timezone.utc)


def rep(i: int) -> dict:
    return {"owner_id": f"rep-{i % REPS}", "department_path": ["root", f"d{i % REPS % DEPARTMENTS}"]}


def iso(at: datetime) -> str:
    return at.isoformat()


def customer(i: int, rng: random.Random) -> dict:
    """One customer's record as the handlers keep it, with a plausible history over the last year."""
    created = NOW - timedelta(days=rng.uniform(1, 365))
    doc = {**contributions_free(i), **rep(i), "created_at": iso(created), "first_stage": STAGES[0]}
    doc["lead"] = {"channel": CHANNELS[i % 4], "campaign": CAMPAIGNS[i % 3 % 2], "received_at": iso(created)}
    at, stage = created, 0
    for v in range(rng.randint(0, 5)):
        at += timedelta(days=rng.uniform(1, 12))
        if at > NOW:
            break
        to = 6 if rng.random() < 0.1 else min(stage + 1, 5)
        doc["moves"][str(v + 2)] = {"from": STAGES[stage], "to": STAGES[to], "at": iso(at), "v": v + 2}
        stage = to
        if to in (5, 6):
            break
    doc["stage"] = STAGES[stage]
    if stage == 5:
        doc.update(won_at=iso(at), won_fen=rng.randint(1, 10_000) * 10_000)
    for f in range(rng.randint(0, 3)):
        seen = created + timedelta(days=rng.uniform(0, (NOW - created).days))
        doc["followups"][f"F{i}-{f}"] = {"at": iso(seen), "v": 20 + f, "next": iso(seen + timedelta(days=7))}
    if rng.random() < 0.3:
        doc["quals"]["30"] = {"qualitative": "valuable", "grade": rng.choice(["large", "normal", "small"]),
                              "amount": rng.randint(1, 1000) * 100_000, "v": 30,
                              "sign_date": (NOW + timedelta(days=rng.uniform(-30, 180))).date().isoformat()}
    handlers._derive(doc)
    return doc


def contributions_free(i: int) -> dict:
    return {"_id": f"C{i}", "name": f"Customer {i}", "snap_v": 40, "collaborator_ids": [], "deleted": False,
            "moves": {}, "followups": {}, "contracts": {}, "payments": {}, "quals": {}, "level": "B"}


def seed(models, start: int, stop: int, tallies: dict) -> None:
    """Customers start..stop; `tallies` accumulates their tally updates (as store.save makes them)."""
    rng = random.Random(start)
    for first in range(start, stop, 5000):
        batch = []
        for i in range(first, min(stop, first + 5000)):
            doc = customer(i, rng)
            found = contributions.of_customer(doc)
            doc["contrib"] = contributions.stored(found)
            dims = contributions.dims(doc)
            for key, cell in found.items():
                for level in store.LEVELS:
                    store._bump(tallies, level, dims, key, cell)
            batch.append(doc)
        models.customers.insert_many(batch, ordered=False)
    models.tallies.drop()
    rows = []
    for ident, update in tallies.items():
        row = {"_id": ident, **update["$setOnInsert"]}
        for field, value in update["$inc"].items():
            if "." in field:
                name, on = field.split(".", 1)
                row.setdefault(name, {})[on] = value
            else:
                row[field] = value
        rows.append(row)
    for first in range(0, len(rows), 10000):
        models.tallies.insert_many(rows[first:first + 10000], ordered=False)
    models.ensure_indexes()


def events_for(rt, count: int) -> list[dict]:
    """created, stage_changed, followed_up for count/3 customers, in publication order."""
    out = []
    for c in range(count // 3):
        snap = {"customer_id": f"E{c}", "name": f"E{c}", **rep(c), "collaborator_ids": [], "level": "B",
                "stage": "lead_acquired", "lifecycle": "potential", "tags": [], "city": None, "industry": None,
                "contacts": [], "version": 1}
        out.append(rt.event("crm.customer.created", f"E{c}", {**snap, "created_at": iso(NOW), "by": "u"}))
        snap.update(stage="initial_contact", version=2)
        out.append(rt.event("crm.customer.stage_changed", f"E{c}", {
            **snap, "from": "lead_acquired", "to": "initial_contact", "pipeline_id": "default", "by": "u",
            "changed_at": iso(NOW)}))
        snap["version"] = 3
        out.append(rt.event("crm.customer.followed_up", f"E{c}", {
            **snap, "followup_id": f"F{c}", "channel": "phone", "summary": "s", "goal_met": True,
            "next_contact_at": iso(NOW + timedelta(days=3)), "by": "u", "followed_up_at": iso(NOW)}))
        for v, event in enumerate(out[-3:], start=1):
            event["version"] = v
    return out


def ingestion(running, count: int) -> None:
    env = {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET, "MONGO_URI": running.mongo_uri,
           "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap, "MONGO_DB": "crm_reporting_ingest", "LOG_LEVEL": "WARNING"}
    rt = bootstrap(SPEC, Settings.from_env("reporting", env))
    try:
        events, live = events_for(rt, count), live_handlers(rt)
        started = time.perf_counter()
        for event in events:
            consumer.deliver(rt, "reporting", live, event)
        applied = len(events) / (time.perf_counter() - started)
        raw = rt.db.raw_events
        started = time.perf_counter()
        raw.insert_many([dict(e) for e in events], ordered=False)
        bulk = len(events) / (time.perf_counter() - started)
        started = time.perf_counter()
        for event in events:
            rt.db.raw_one.insert_one(dict(event))
        single = len(events) / (time.perf_counter() - started)
        print(f"ingestion: {len(events)} customer events applied at {applied:.0f}/s (guard, record, tallies, one "
              f"transaction each) | raw insert_many {bulk:.0f}/s | raw insert_one {single:.0f}/s | "
              f"ratio to insert_one {applied / single:.2f}", flush=True)
    finally:
        rt.close()


def latency(url, db, size: int) -> None:
    settings = Settings.from_env("reporting", {"CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET})
    bearer = lambda p: {"Authorization": "Bearer " + issue_token(settings.jwt_secret, p, 3600)}  # noqa: E731
    admin = bearer(Principal("u-admin", "admin", "admin", []))
    manager = bearer(Principal("m-3", "m-3", "manager", ["root", "d3"]))
    rep_3 = bearer(Principal("rep-3", "rep-3", "rep", ["root", "d3"]))
    calls = {"funnel (admin)": ("/v1/reports/funnel", admin), "per rep (admin)": ("/v1/reports/reps", admin),
             "going cold (admin)": ("/v1/reports/going-cold", admin),
             "funnel (manager)": ("/v1/reports/funnel", manager), "workbench (rep)": ("/v1/workbench", rep_3)}
    customers = db[store.FIRST_PREFIX + "customers"]
    base = run_clients(1, 30, lambda _: lambda i: list(customers.find({"owner_id": f"rep-{i % REPS}"}).limit(50)))
    results = {}
    for label, (path, headers) in calls.items():
        requests.get(url + path, headers=headers, timeout=60).raise_for_status()  # warm
        results[label] = run_clients(1, 30, lambda _: lambda i: requests.get(url + path, headers=headers, timeout=60))
        m = results[label]
        print(f"{size:>8} customers  {label:<20} p50 {m['p50_ms']:>8.2f} ms  p99 {m['p99_ms']:>8.2f} ms"
              f" | raw find of one page p50 {base['p50_ms']:>6.2f} ms", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with servers() as running:
        print(f"reporting benchmark ({running.kind} servers), {REPS} reps in {DEPARTMENTS} departments, "
              f"{len(CHANNELS)} channels x {len(CAMPAIGNS)} campaigns, a year of history", flush=True)
        ingestion(running, args.events)
        db = MongoClient(running.mongo_uri, tz_aware=True).crm_reporting
        models, tallies, done, measured = store.Models(db, store.FIRST_PREFIX), {}, 0, {}
        with service(running, "reporting", workers=2) as url:
            for size in sizes:
                started = time.perf_counter()
                seed(models, done, size, tallies)
                done = size
                print(f"seeded {size} customers ({db[models.prefix + 'tallies'].estimated_document_count()} tally "
                      f"rows) in {time.perf_counter() - started:.0f} s", flush=True)
                measured[size] = latency(url, db, size)
        if len(sizes) > 1:
            small, large = measured[sizes[0]], measured[sizes[-1]]
            for label in small:
                print(f"{label:<20} p50 {sizes[-1]}/{sizes[0]} ratio {large[label]['p50_ms'] / small[label]['p50_ms']:.2f}")


if __name__ == "__main__":
    main()

"""Reporting: how fast events go into the read models, and how fast reports answer at 100k and
1M customers, beside raw MongoDB operations on the same server in the same run.

- ingestion: customer events applied one by one as the consumer loop does (contract, version guard,
  handler, tallies, one transaction), with MongoDB round trips per event counted; baseline: a raw
  insert_many of the same events (and a raw insert_one each).
- latency: funnel, per rep, going cold (admin, over HTTP under gunicorn), funnel for a manager, and a
  rep's workbench, at each size; baseline: a raw find of one page (50) of one rep's customers.
  The read models are seeded directly with insert_many of prepared records and the tallies they add
  up to (applying a million customers' events one by one would take hours here): TEMPLATES generated
  histories, repeated under new ids, each template always under the same rep, channel and campaign.
  The sales team is fixed (REPS reps in DEPARTMENTS departments), so a rep holds 500 customers at 100k
  and 5000 at 1M; a year of history.
- a time cap: seeding stops at --seed-seconds from the start and the latencies are measured at the size
  reached, which the output names; keep the whole run within 15 minutes.
Run: .venv/bin/python -m bench.reporting [--sizes 100000,1000000] [--events 1500] [--seed-seconds 540]
     [--index-after]
"""
from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import requests
from pymongo import MongoClient, monitoring

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
TEMPLATES = 20_000           # a multiple of REPS: customer i is template i % TEMPLATES, under rep i % REPS
SEED_SECONDS = 540           # seeding stops here, whatever size it reached
NOW = datetime.now(timezone.utc)


def rep(i: int) -> dict:
    return {"owner_id": f"rep-{i % REPS}", "department_path": ["root", f"d{i % REPS % DEPARTMENTS}"]}


def iso(at: datetime) -> str:
    return at.isoformat()


def customer(i: int, rng: random.Random) -> dict:
    """One customer's record as the handlers keep it, with a plausible history over the last year."""
    created = NOW - timedelta(days=rng.uniform(1, 365))
    doc = {"_id": f"C{i}", "name": f"Customer {i}", "snap_v": 40, "collaborator_ids": [], "deleted": False,
           "moves": {}, "followups": {}, "contracts": {}, "payments": {}, "quals": {}, "reminders": {}, "level": "B",
           **rep(i), "created_at": iso(created), "first_stage": STAGES[0]}
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


def templates() -> list[tuple[dict, dict]]:
    """(record, its contributions) of every template customer."""
    rng, out = random.Random(7), []
    for t in range(TEMPLATES):
        doc = customer(t, rng)
        found = contributions.of_customer(doc)
        doc["contrib"] = contributions.stored(found)
        out.append((doc, found))
    return out


def tallies_for(made: list, size: int) -> list[dict]:
    """The tally documents of customers 0..size, as store.save builds them one by one: each template's
    contributions times the number of its copies."""
    updates: dict = {}
    for t, (doc, found) in enumerate(made):
        copies = size // TEMPLATES + (1 if t < size % TEMPLATES else 0)
        if not copies:
            continue
        dims = contributions.dims(doc)
        for key, cell in found.items():
            for level in store.levels_of(key[0]):
                store._bump(updates, level, dims, key, [c * copies for c in cell])
    rows = []
    for ident, update in updates.items():
        row = {"_id": ident, **update["$setOnInsert"]}
        for field, value in update["$inc"].items():
            name, _, on = field.partition(".")
            if on:
                row.setdefault(name, {})[on] = value
            else:
                row[field] = value
        rows.append(row)
    return rows


def seed(models, made: list, start: int, stop: int, deadline: float, index_after: bool = False) -> int:
    """Customers start..stop as copies of the templates, then the tallies of all; returns the size reached.
    `index_after`: the customers' secondary indexes are dropped while inserting and built at the end."""
    done = start
    if index_after:
        models.customers.drop_indexes()
    for first in range(start, stop, 10_000):
        if time.monotonic() > deadline:
            break
        last = min(stop, first + 10_000)
        models.customers.insert_many([{**made[i % TEMPLATES][0], "_id": f"C{i}", "name": f"Customer {i}"}
                                      for i in range(first, last)], ordered=False)
        done = last
    rows = tallies_for(made, done)
    models.tallies.drop()
    for first in range(0, len(rows), 10_000):
        models.tallies.insert_many(rows[first:first + 10_000], ordered=False)
    started = time.perf_counter()
    models.ensure_indexes()
    if index_after:
        print(f"  indexes built over {done} customers in {time.perf_counter() - started:.0f} s", flush=True)
    return done


class RoundTrips(monitoring.CommandListener):
    """Commands sent, and the time each kind took (as the driver saw it), by command name."""

    def __init__(self):
        self.counts, self.micros = Counter(), Counter()

    def started(self, event):
        self.counts[event.command_name] += 1

    def succeeded(self, event):
        self.micros[event.command_name] += event.duration_micros

    def failed(self, event):
        pass


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
    trips = RoundTrips()
    monitoring.register(trips)  # clients made from here on report their commands
    rt = bootstrap(SPEC, Settings.from_env("reporting", env))
    try:
        events, live = events_for(rt, count), live_handlers(rt)
        trips.counts.clear(), trips.micros.clear()
        started = time.perf_counter()
        for event in events:
            consumer.deliver(rt, "reporting", live, event)
        applied = len(events) / (time.perf_counter() - started)
        per_event = {name: round(n / len(events), 2) for name, n in trips.counts.most_common()}
        ms_per_event = {name: round(us / len(events) / 1000, 2) for name, us in trips.micros.most_common()}
        raw = rt.db.raw_events
        started = time.perf_counter()
        raw.insert_many([dict(e) for e in events], ordered=False)
        bulk = len(events) / (time.perf_counter() - started)
        started = time.perf_counter()
        for event in events[:500]:
            rt.db.raw_one.insert_one(dict(event))
        single = 500 / (time.perf_counter() - started)
        print(f"ingestion: {len(events)} customer events applied at {applied:.0f}/s (contract, guard, record, "
              f"tallies, one transaction each) | raw insert_many {bulk:.0f}/s (ratio {applied / bulk:.3f}) | raw "
              f"insert_one {single:.0f}/s (ratio {applied / single:.2f})", flush=True)
        print(f"ingestion: {sum(per_event.values()):.1f} MongoDB commands per event: {per_event}; "
              f"server ms per event by command: {ms_per_event}", flush=True)
    finally:
        rt.close()


def latency(url, db, size: int) -> dict:
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
    results = {"raw find of one page": base}
    print(f"{size:>8} customers  {'raw find of one page':<20} p50 {base['p50_ms']:>8.2f} ms  "
          f"p99 {base['p99_ms']:>8.2f} ms", flush=True)
    for label, (path, headers) in calls.items():
        requests.get(url + path, headers=headers, timeout=60).raise_for_status()  # warm
        results[label] = m = run_clients(1, 30, lambda _: lambda i: requests.get(url + path, headers=headers,
                                                                                 timeout=60))
        print(f"{size:>8} customers  {label:<20} p50 {m['p50_ms']:>8.2f} ms  p99 {m['p99_ms']:>8.2f} ms"
              f"  ({m['p50_ms'] / base['p50_ms']:.1f}x the raw find)", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--events", type=int, default=1500, help="0: no ingestion run")
    parser.add_argument("--seed-seconds", type=int, default=SEED_SECONDS)
    parser.add_argument("--index-after", action="store_true", help="build the customers' indexes after each insert")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]  # --sizes "": ingestion only
    began = time.monotonic()
    with servers() as running:
        print(f"reporting benchmark ({running.kind} servers), {REPS} reps in {DEPARTMENTS} departments, "
              f"{len(CHANNELS)} channels x {len(CAMPAIGNS)} campaigns, a year of history", flush=True)
        if args.events:
            ingestion(running, args.events)
        db = MongoClient(running.mongo_uri, tz_aware=True).crm_reporting
        models, done, measured = store.Models(db, store.FIRST_PREFIX), 0, {}
        started = time.perf_counter()
        made = templates()
        print(f"{TEMPLATES} template histories in {time.perf_counter() - started:.0f} s", flush=True)
        models.ensure_indexes()
        deadline = began + args.seed_seconds
        with service(running, "reporting", workers=2) as url:
            for size in sizes:
                started = time.perf_counter()
                done = seed(models, made, done, size, deadline, args.index_after)
                print(f"seeded {done} customers{'' if done == size else f' (of {size}: the time cap)'} "
                      f"({db[models.prefix + 'tallies'].estimated_document_count()} tally rows) in "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
                measured[done] = latency(url, db, done)
                if done < size:
                    break
        reached = sorted(measured)
        if len(reached) > 1:
            small, large = measured[reached[0]], measured[reached[-1]]
            for label in small:
                print(f"{label:<22} p50 {reached[-1]}/{reached[0]} ratio "
                      f"{large[label]['p50_ms'] / small[label]['p50_ms']:.2f}", flush=True)
        print(f"whole run {time.monotonic() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()

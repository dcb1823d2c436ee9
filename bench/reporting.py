"""Reporting: how fast events go into the read models, and how fast reports answer at 100k and
1M customers, beside raw MongoDB operations on the same server in the same run.

- ingestion: customer events applied one by one as the consumer loop does (contract, version guard,
  handler, tallies, one transaction), with MongoDB round trips per event counted; baseline: a raw
  insert_many of the same events (and a raw insert_one each).
- latency: funnel, per rep, going cold (admin, over HTTP under gunicorn), funnel for a manager, and a
  rep's workbench, at each size; baseline: a raw find of one page (50) of one rep's customers.
  The read models are seeded directly with insert_many of prepared records and the tallies they add
  up to (applying a million customers' events one by one would take hours here): TEMPLATES generated
  histories, each a customer's events (validated against their contracts) applied by the handlers' own
  pure code, so a record has the exact shape the consumer stores; repeated under new ids (and lead
  ids), each template always under the same rep, channel and campaign; the records inserted without
  their indexes, which are built after each step.
  The sales team is fixed (REPS reps in DEPARTMENTS departments), so a rep holds 500 customers at 100k
  and 5000 at 1M; a year of history.
- a time cap: inserting stops at --seed-seconds from the start (the index build and the measures
  follow) and the latencies are measured at the size reached, which the output names; keep the whole
  run within 15 minutes (1M needs about 13 on the dev machine).
Run: .venv/bin/python -m bench.reporting [--sizes 100000,1000000] [--events 1500] [--seed-seconds 540]
     [--indexed-inserts]
"""
from __future__ import annotations

import argparse
import copy
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import requests
from pymongo import MongoClient, monitoring

from bench.common import JWT_SECRET, known_users, run_clients, servers, service
from crm_common import consumer, events
from crm_common.auth import Principal, issue_token
from crm_common.service import bootstrap
from crm_common.settings import Settings
from customer.customers import customers
from reporting.model import contributions
from reporting.model import customer as customer_model
from reporting.model import handlers, store
from reporting.model import lead as lead_model
from reporting.model.stages import STAGES
from reporting.service import SPEC, live_handlers

REPS, DEPARTMENTS, CHANNELS, CAMPAIGNS = 200, 10, ("web", "expo", "wechat", "partner"), ("spring", "autumn")
TEMPLATES = 20_000           # a multiple of REPS: customer i is template i % TEMPLATES, under rep i % REPS
SEED_SECONDS = 450           # inserting stops here, whatever size it reached
NOW = datetime.now(timezone.utc)


def rep(i: int) -> dict:
    return {"owner_id": f"rep-{i % REPS}", "department_path": ["root", f"d{i % REPS % DEPARTMENTS}"]}


def iso(at: datetime) -> str:
    return at.isoformat()


def history(i: int, rng: random.Random) -> list[dict]:
    """One customer's events over the last year, their data as the customer service publishes it:
    created (from a lead), stage changes (a tenth of the moves lose the deal), follow-ups setting the
    next contact a week later, a qualification for three in ten, the win or the loss, a pin for one in 20."""
    created = NOW - timedelta(days=rng.uniform(1, 365))
    state = {"_id": f"C{i}", "name": f"Customer {i}", **rep(i), "collaborator_ids": [], "level": "B",
             "stage": STAGES[0], "lifecycle": "potential", "milestones": {}, "version": 0}
    out = []

    def publish(kind: str, **data):
        state["version"] += 1
        out.append(events.new_event("crm.customer." + kind, state["_id"], {**customers.snapshot(state), **data},
                                    source="customer", time=NOW))  # validated against its contract

    publish("created", created_at=iso(created), source_lead_id=f"L{i}", by="u")
    at, stage = created, 0
    for _ in range(rng.randint(0, 5)):
        at += timedelta(days=rng.uniform(1, 12))
        if at > NOW:
            break
        to = 6 if rng.random() < 0.1 else min(stage + 1, 5)
        state["stage"] = STAGES[to]
        publish("stage_changed", **{"from": STAGES[stage]}, to=STAGES[to], pipeline_id="default", by="u",
                changed_at=iso(at))
        stage = to
        if to == 5:
            publish("won", order_total=f"{rng.randint(1, 10_000) * 100}.00", by="u", won_at=iso(at))
        if to in (5, 6):
            if to == 6:
                publish("lost", reason="price", by="u", lost_at=iso(at))
            break
    for f in range(rng.randint(0, 3)):
        seen = created + timedelta(days=rng.uniform(0, (NOW - created).days))
        publish("followed_up", followup_id=f"F{i}-{f}", channel="phone", summary="s", goal_met=True,
                next_contact_at=iso(seen + timedelta(days=7)), by="u", followed_up_at=iso(seen))
    if rng.random() < 0.3:
        publish("qualified", qualitative="valuable", grade=rng.choice(["large", "normal", "small"]),
                expected_amount=f"{rng.randint(1, 1000) * 1000}.00", by="u", qualified_at=iso(NOW),
                expected_sign_date=(NOW + timedelta(days=rng.uniform(-30, 180))).date().isoformat())
    if rng.random() < 0.05:
        state["milestones"]["pinned"] = True
        publish("updated", changed_fields=["milestones"], by="u", updated_at=iso(NOW))
    return out


def customer(i: int, rng: random.Random) -> tuple[dict, dict, dict]:
    """One customer's record and contributions as the consumer stores them: its history applied event
    by event by the handlers' own pure code (the lead's fields as _change_customer copies them). Also
    the record as it was before a pin, for the copies: a rep pins a few customers, however many they hold."""
    doc, lead = customer_model.new(f"C{i}"), {"channel": CHANNELS[i % 4], "campaign": CAMPAIGNS[i % 3 % 2]}
    unpinned = None
    for event in history(i, rng):
        if event["type"] == "crm.customer.updated":
            unpinned = copy.deepcopy(doc)
        doc = customer_model.apply(doc, event)
        if doc.get("source_lead_id") and not doc["lead"]:
            doc["lead"] = lead_model.for_customer({**lead, "received_at": event["data"]["created_at"]})
        found = handlers.finish_customer(doc)
    doc["contrib"] = contributions.stored(found)
    if unpinned is not None:
        assert handlers.finish_customer(unpinned) == found  # a pin adds nothing to the tallies
        unpinned["contrib"] = doc["contrib"]
    return doc, found, unpinned or doc


def templates() -> list[tuple[dict, dict, dict]]:
    """(record, its contributions, its copies' record) of every template customer."""
    rng = random.Random(7)
    return [customer(t, rng) for t in range(TEMPLATES)]


def tallies_for(made: list, size: int) -> list[dict]:
    """The tally documents (sums, key) of customers 0..size, as store.save builds them one by one: each template's
    contributions times the number of its copies."""
    updates: dict = {}
    for t, (doc, found, _) in enumerate(made):
        copies = size // TEMPLATES + (1 if t < size % TEMPLATES else 0)
        if not copies:
            continue
        dims = contributions.dims(doc)
        for key, cell in found.items():
            for level in store.levels_of(key[0]):
                store._bump(updates, level, dims, key, [c * copies for c in cell])
    rows = []
    for ident, update in updates.items():
        row = {"_id": ident}
        for field, value in update["$inc"].items():
            name, _, on = field.partition(".")
            if on:
                row.setdefault(name, {})[on] = value
            else:
                row[field] = value
        rows.append((row, {"_id": ident, **update["key"]}))
    return rows


def seed(models, made: list, start: int, stop: int, deadline: float, indexed_inserts: bool = False) -> int:
    """Customers start..stop as copies of the templates, then the tallies of all; returns the size reached.
    The customers' secondary indexes are dropped while inserting and built at the end: on SecantusDB a
    build (one scan of the records per index) is about twice as fast as inserting into seven indexes,
    whose rate also falls as they grow. `indexed_inserts` keeps them, to compare."""
    done, started = start, time.perf_counter()
    if not indexed_inserts:
        models.customers.drop_indexes()
    for first in range(start, stop, 10_000):
        if time.monotonic() > deadline:
            break
        last = min(stop, first + 10_000)
        models.customers.insert_many([{**made[i % TEMPLATES][0 if i < TEMPLATES else 2], "_id": f"C{i}",
                                       "name": f"Customer {i}", "source_lead_id": f"L{i}"}
                                      for i in range(first, last)], ordered=False)
        done = last
        if done % 100_000 == 0:
            print(f"  {done} customers at {time.perf_counter() - started:.0f} s", flush=True)
    inserted = time.perf_counter()
    rows = tallies_for(made, done)
    models.tallies.drop()
    models.tally_keys.drop()
    for first in range(0, len(rows), 10_000):
        models.tallies.insert_many([sums for sums, _ in rows[first:first + 10_000]], ordered=False)
        models.tally_keys.insert_many([key for _, key in rows[first:first + 10_000]], ordered=False)
    tallied = time.perf_counter()
    models.ensure_indexes()
    print(f"  {done - start} customers inserted at {(done - start) / (inserted - started):.0f}/s "
          f"({'into their indexes' if indexed_inserts else 'without indexes'}), {len(rows)} tally rows in "
          f"{tallied - inserted:.0f} s, indexes {'ensured' if indexed_inserts else f'built over {done}'} in "
          f"{time.perf_counter() - tallied:.0f} s", flush=True)
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
    known_users(db, "u-admin", "m-3", "rep-3")
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
    parser.add_argument("--indexed-inserts", action="store_true",
                        help="insert into the customers' indexes instead of building them after each step")
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
                done = seed(models, made, done, size, deadline, args.indexed_inserts)
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

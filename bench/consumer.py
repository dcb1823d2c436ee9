"""Events a second through the real consumer loop, beside raw inserts on the same server in the same run.

- A realistic mix is written to the topics directly (the builders of tests/reports/history.py): reps and
  departments; per customer its lead received, assigned and converted, created, stage moves, follow-ups,
  a qualification, for some a contract, the win and a payment, a pool reclaim and claim with the owner
  change, a reminder sent.
- reporting's and notify's real handlers, each under crm_common.consumer.ConsumerLoop (contract, version
  guard, handler, transaction, commit) as their workers run it, read every message of their topics;
  timed from the first poll that brings events (the group join is left out) until the journaled tally
  sums are compacted too.
- baselines: a raw insert_many of one document per event into a collection with the indexes of
  reporting's customer records (the floor of what a read model must write), and into one with only _id.
- then the real rebuild (reporting.rebuild.versions.run) reads the same log into a new version, timed
  whole (group join, the reports' index builds and the swap included), projected to 1M events.
- targets (printed, the run does not fail): reporting >= 0.5 of the indexed baseline; a rebuild of
  1M events <= 20 minutes.
Run: .venv/bin/python -m bench.consumer [--events 6000]
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone

from pymongo import monitoring

from bench.common import JWT_SECRET, servers
from bench.reporting import RoundTrips
from crm_common import batching, kafka
from crm_common.consumer import ConsumerLoop
from crm_common.events import encode, topic_for
from crm_common.service import bootstrap
from crm_common.settings import Settings
from notify.service import SPEC as NOTIFY
from reporting.model import store
from reporting.rebuild import versions
from reporting.service import SPEC as REPORTING
from tests.reports.history import History, at

REPS, DEPARTMENTS = 20, (["d-root", "d-east"], ["d-root", "d-west"])
STALL_SECONDS = 60
SEALING_KEY = "bench-sealing-key-of-notify-alone-0123456789"  # prod mode asks for one
REBUILD_EVENTS, REBUILD_TARGET_MINUTES, INDEXED_TARGET = 1_000_000, 20, 0.5


def runtime(running, spec):
    return bootstrap(spec, Settings.from_env(spec.name, {
        "CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "WARNING", "MONGO_URI": running.mongo_uri,
        "MONGO_DB": f"crm_{spec.name}_consumer_bench", "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap,
        "NOTIFY_SEALING_KEY": SEALING_KEY}))


def day(n: int) -> str:
    return f"06-{min(28, 1 + n):02d}"


def mix(rt, count: int) -> list[dict]:
    """At least `count` contract-valid events in publication order (cut at `count`)."""
    h, rng = History(rt), random.Random(11)
    for path in DEPARTMENTS:
        h.emit("crm.department.created", path[-1], {"department_id": path[-1], "name": path[-1],
                                                    "parent_id": "d-root", "path": path, "active": True}, 1)
    for r in range(REPS):
        path = DEPARTMENTS[r % 2]
        h.emit("crm.user.created", f"rep-{r}", {
            "user_id": f"rep-{r}", "username": f"REP{r}", "role": "rep", "department_id": path[-1],
            "department_path": path, "supervisor_id": None, "active": True, "team_ids": [], "holding_limit": 200}, 1)
    i = 0
    while len(h.events) < count:
        customer(h, i, rng)
        i += 1
    return h.events[:count]


def customer(h: History, i: int, rng: random.Random) -> None:
    cid, lid, rep, start = f"C{i}", f"L{i}", f"rep-{i % REPS}", rng.randint(0, 14)
    owner = {"owner_id": rep, "department_path": DEPARTMENTS[i % REPS % 2]}
    h.emit("crm.lead.received", lid, {
        "lead_id": lid, "channel_id": "ch-web", "channel": rng.choice(["web", "expo", "wechat"]), "name": "N",
        "company": None, "company_key": None, "phones": [], "emails": [], "wechat_ids": [],
        "received_at": at(day(start)), "city": None, "industry": None, "campaign": rng.choice(["spring", None]),
        "score": 50, "bucket": "warm"}, 1)
    h.emit("crm.lead.assigned", lid, {"lead_id": lid, "owner_id": rep, "team_id": None, "by": "rules",
                                      "assigned_at": at(day(start)), "respond_by": at(day(start + 1))}, 2)
    h.emit("crm.lead.converted", lid, {"lead_id": lid, "converted_by": rep, "owner_id": rep, "phones": [],
                                       "emails": [], "converted_at": at(day(start + 1))}, 3)
    h.customer(cid, "created", day(start + 1), source_lead_id=lid, **owner)
    h.customer(cid, "stage_changed", day(start + 2), to="initial_contact")
    h.customer(cid, "followed_up", day(start + 3), followup_id=f"F{i}a", channel="phone", summary="s",
               goal_met=True, next_contact_at=at(day(start + 8)))
    if rng.random() < 0.5:
        h.customer(cid, "stage_changed", day(start + 4), to="needs_confirmed")
        h.customer(cid, "qualified", day(start + 4), qualitative="valuable", grade=rng.choice(["large", "normal"]),
                   expected_amount=f"{rng.randint(1, 900) * 100}.00", expected_sign_date="2026-08-01")
    h.customer(cid, "followed_up", day(start + 6), followup_id=f"F{i}b", channel="visit", summary="s",
               goal_met=False, next_contact_at=at(day(start + 12)))
    if rng.random() < 0.2:
        amount = f"{rng.randint(1, 900) * 100}.00"
        h.customer(cid, "stage_changed", day(start + 9), to="contract_signed")
        h.customer(cid, "contract_signed", day(start + 9), contract_id=f"K{i}", title=None, amount=amount,
                   start_date="2026-07-01", end_date="2027-06-30", order_total=amount)
        h.customer(cid, "won", day(start + 9), order_total=amount)
        h.customer(cid, "payment_received", day(start + 10), payment_id=f"P{i}", contract_id=f"K{i}",
                   amount=amount, received_on="2026-06-29", paid_total=amount, outstanding="0.00")
    elif rng.random() < 0.2:
        pool_move(h, i, cid, rep, f"rep-{(i + 1) % REPS}", start + 10)
    if rng.random() < 0.3:
        h.emit("crm.notification.sent", f"cadence:{cid}:{rep}:inbox", {
            "delivery_id": f"D{i}", "key": f"cadence:{cid}:{rep}:inbox", "channel": "inbox", "kind": "cadence",
            "user_id": rep, "customer_id": cid, "lead_id": None, "robot_id": None, "attempts": 1,
            "sent_at": at(day(start + 12))}, 1)


def pool_move(h: History, i: int, cid: str, rep: str, to: str, on: int) -> None:
    """Reclaimed from `rep` after a warning, claimed from pool p1 by `to`, who becomes its owner."""
    h.emit("crm.pool.reclaim_warning", cid, {"customer_id": cid, "owner_id": rep, "pool_id": None,
                                             "rule": "no_followup", "days_before": 1,
                                             "reclaim_due_at": at(day(on + 1)), "warned_at": at(day(on))}, 1)
    h.emit("crm.pool.customer_reclaimed", cid, {"customer_id": cid, "previous_owner_id": rep,
                                                "reason": "no_followup", "reclaimed_at": at(day(on + 1))}, 2)
    h.emit("crm.pool.customer_claimed", cid, {"customer_id": cid, "owner_id": to, "previous_owner_id": None,
                                              "kind": "claim", "pool_id": "p1", "by": to,
                                              "claimed_at": at(day(on + 2))}, 3)
    h.customer(cid, "owner_changed", day(on + 2), from_owner_id=rep, to_owner_id=to, claim_count=1, owner_id=to,
               department_path=DEPARTMENTS[(i + 1) % REPS % 2], kind="pool_claim")


def publish(rt, events: list[dict]) -> None:
    kafka.ensure_topics(rt.settings)
    for event in events:
        rt.producer.send(topic_for(event["type"]), key=event["subject"].encode(), value=encode(event))
    rt.producer.flush()


def consume(rt, spec, events: list[dict], trips: RoundTrips, group: str | None = None) -> tuple[float, dict]:
    """Events a second through the service's own consumer loop, and MongoDB commands per event (`group`:
    another consumer group than the service's, as the broker keeps a group's offsets)."""
    loop = ConsumerLoop(rt, group or spec.name, spec.handlers(rt))
    expected = sum(topic_for(e["type"]) in loop.topics for e in events)
    loop.subscribe()
    done, started, last_progress = 0, None, time.monotonic()
    try:
        while done < expected:
            if started is None:
                trips.counts.clear()  # the group join is not the loop's work
            before = time.perf_counter()
            count = loop.poll_once(timeout_ms=300)
            if count and started is None:
                started = before
            done += count
            last_progress = time.monotonic() if count else last_progress
            if time.monotonic() - last_progress > STALL_SECONDS:
                raise RuntimeError(f"{spec.name}: stalled at {done}/{expected}, held {loop.held}")
        batching.compact_due(rt.db, at=1)  # what is still journaled is work owed: timed too
        elapsed = time.perf_counter() - started
    finally:
        loop.close()
    return expected / elapsed, {name: round(n / expected, 2) for name, n in trips.counts.most_common(6)}


def baselines(rt, events: list[dict]) -> tuple[float, float]:
    """insert_many of one document an event: into reporting's customer indexes, and into _id alone."""
    now = datetime.now(timezone.utc)
    indexed, plain = rt.db.baseline_indexed, rt.db.baseline_plain
    indexed.create_indexes(store.INDEXES["customers"])
    docs = [{"_id": e["id"], "owner_id": e["data"].get("owner_id"), "collaborator_ids": [],
             "source_lead_id": e["data"].get("lead_id"), "next_contact_at": now + timedelta(days=i % 30),
             "high_intent": i % 3 == 0, "stage_since": now, "pinned": False, "data": e["data"]}
            for i, e in enumerate(events)]
    started = time.perf_counter()
    indexed.insert_many(docs, ordered=False)
    indexed_rate = len(docs) / (time.perf_counter() - started)
    started = time.perf_counter()
    plain.insert_many([dict(e) for e in events], ordered=False)
    return indexed_rate, len(events) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=6000)
    args = parser.parse_args()
    began = time.monotonic()
    trips = RoundTrips()
    monitoring.register(trips)  # clients made from here on report their commands
    with servers() as running:
        reporting, notify = runtime(running, REPORTING), runtime(running, NOTIFY)
        try:
            events = mix(reporting, args.events)
            publish(reporting, events)
            print(f"consumer benchmark ({running.kind} servers): {len(events)} events on the topics", flush=True)
            indexed, plain = baselines(reporting, events)
            print(f"baseline insert_many, reporting's customer indexes: {indexed:8.0f}/s", flush=True)
            print(f"baseline insert_many, _id only:                     {plain:8.0f}/s", flush=True)
            rates = {}
            for rt, spec in ((reporting, REPORTING), (notify, NOTIFY)):
                rates[spec.name], per_event = consume(rt, spec, events, trips)
                rate = rates[spec.name]
                print(f"{spec.name:<9} consumer loop: {rate:8.0f}/s | ratio {rate / indexed:.3f} of the indexed "
                      f"baseline, {rate / plain:.3f} of _id only | MongoDB commands per event {per_event}",
                      flush=True)
            rebuilt = versions.run(reporting)  # the real rebuild: a new group from the first event, indexes, swap
            rebuild_rate = rebuilt["events_applied"] / rebuilt["seconds"]
            print(f"reporting rebuild: {rebuilt['events_applied']} events in {rebuilt['seconds']:.1f} s (group join, "
                  f"index builds and swap included): {rebuild_rate:.0f}/s", flush=True)
            ratio = rates["reporting"] / indexed
            minutes = REBUILD_EVENTS / rebuild_rate / 60
            print(f"target reporting >= {INDEXED_TARGET} of the indexed baseline: {ratio:.3f} "
                  f"{'PASS' if ratio >= INDEXED_TARGET else 'FAIL'}", flush=True)
            print(f"target rebuild of {REBUILD_EVENTS:,} events <= {REBUILD_TARGET_MINUTES} min: projected "
                  f"{minutes:.1f} min {'PASS' if minutes <= REBUILD_TARGET_MINUTES else 'FAIL'}", flush=True)
        finally:
            reporting.close()
            notify.close()
    print(f"whole run {time.monotonic() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()

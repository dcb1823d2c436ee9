"""Events a second through the automation worker's consumer loop with 1,000 active rules, beside the same
loop with no rule active, on the same servers and the same events in the same run.

- The mix of bench.consumer (leads received, assigned, converted; customers created, moved, followed up,
  qualified, won, paid; pool moves; notices; users and departments) is written to the topics once.
- Two automation runtimes (a database each) read all of it through crm_common.consumer.ConsumerLoop with
  the service's own handlers, as its worker does; timed from the first poll that brings events.
  - no rules: the loop's own cost per event (the contract, the version guard, the record kept, the
    event kept for previews, the transaction and the commit);
  - 1,000 active rules, spread over every event type a rule may name (15 or so a type) and 50 stage
    transitions; most conditions fail (a level and a keyword: counted per rule and day, not logged), one
    rule in fifty has none and asks for a notice, so runs are logged and requests published as in use.
- Rules are looked up by their trigger's keys (automation.rules.store.active_for), never scanned.
- Target (printed, the run does not fail): rule evaluation adds at most 25% to the cost per event,
  i.e. (cost with rules) / (cost without) <= 1.25.
Run: .venv/bin/python -m bench.automation [--events 4000] [--rules 1000]
"""
from __future__ import annotations

import argparse
import time

from pymongo import monitoring

from automation.rules import store
from automation.service import SPEC
from bench.common import JWT_SECRET, servers
from bench.consumer import consume, mix, publish
from bench.reporting import RoundTrips
from crm_common.service import bootstrap
from crm_common.settings import Settings

TARGET = 1.25
STAGES = ("initial_contact", "needs_confirmed", "contract_signed", "proposal", "negotiation")


def runtime(running, name: str):
    return bootstrap(SPEC, Settings.from_env(SPEC.name, {
        "CRM_ENV": "prod", "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "WARNING", "MONGO_URI": running.mongo_uri,
        "MONGO_DB": f"crm_automation_bench_{name}", "KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap}))


def rule(n: int, types: list[str]) -> dict:
    notice = {"type": "notify", "to": {"user_id": "boss"}, "message": f"rule {n}"}
    if n % 20 == 19:
        trigger = {"type": "transition", "record": "customer", "field": "stage", "to": STAGES[n % len(STAGES)]}
    else:
        trigger = {"type": "event", "event_type": types[n % len(types)]}
    conditions = {"all": []} if n % 50 == 0 else {"all": [
        {"field": "record.level", "op": "eq", "value": "A"},
        {"field": "event.data.summary", "op": "contains_any", "value": ["投诉", "complaint"]}]}
    return {"name": f"bench rule {n}", "priority": n % 50, "trigger": trigger, "conditions": conditions,
            "actions": [notice]}


def activate_rules(rt, count: int) -> None:
    types = store.event_types()
    for n in range(count):
        made = store.create(rt, rule(n, types), "bench")
        store.activate(rt, made["id"], "ignore", "bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--rules", type=int, default=1000)
    args = parser.parse_args()
    began = time.monotonic()
    trips = RoundTrips()
    monitoring.register(trips)
    with servers() as running:
        bare, ruled = runtime(running, "none"), runtime(running, "rules")
        try:
            events = mix(bare, args.events)
            publish(bare, events)
            activate_rules(ruled, args.rules)
            print(f"automation benchmark ({running.kind} servers): {len(events)} events on the topics, "
                  f"{args.rules} active rules", flush=True)
            rates = {}
            for name, rt in (("no rules", bare), (f"{args.rules} rules", ruled)):
                group = f"automation-{name.replace(' ', '-')}"
                rates[name], per_event = consume(rt, SPEC, events, trips, group)
                logged = rt.db.runs.count_documents({})
                print(f"{name:<10} consumer loop: {rates[name]:7.0f} events/s, {1000 / rates[name]:.2f} ms an event | "
                      f"runs logged {logged} | MongoDB commands per event {per_event}", flush=True)
            without, with_rules = rates["no rules"], rates[f"{args.rules} rules"]
            ratio = without / with_rules
            print(f"target cost per event with rules / without <= {TARGET}: {ratio:.3f} "
                  f"(rule evaluation adds {100 * (ratio - 1):.0f}%) {'PASS' if ratio <= TARGET else 'FAIL'}", flush=True)
        finally:
            bare.close()
            ruled.close()
    print(f"whole run {time.monotonic() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()

"""When a rule is considered: an event of a type (optionally only when given fields changed), or a field
of a record moving from one value to another. Rules are looked up by the keys their trigger listens
on, so an event meets only the rules that can fire on it, however many rules are active.

Time triggers (relative_time, inactivity, schedule) never match an event: the `time-triggers` job fires
them when their time comes (engine/timing.py, runs/timed.py).
"""
from __future__ import annotations

from .conditions import Facts, dig

EVALUATED = ("event", "transition", "relative_time", "inactivity", "schedule")
# The record an event is about: its own aggregate, or the customer a pool movement names.
RECORD_AGGREGATES = ("customer", "opportunity", "lead")


def record_of(event: dict) -> tuple[str, str | None]:
    """(kind, id) of the record an event is about; ("none", None) for events about no such record."""
    aggregate = event["type"].split(".")[1]
    if aggregate in RECORD_AGGREGATES:
        return aggregate, event["subject"]
    customer_id = (event.get("data") or {}).get("customer_id")
    return ("customer", customer_id) if aggregate == "pool" and customer_id else ("none", None)


def listens(trigger: dict) -> list[str]:
    """The lookup keys of a trigger: an event type, or every event of a kind of record."""
    if trigger["type"] == "event":
        return [trigger["event_type"]]
    if trigger["type"] == "transition":
        return [f"record:{trigger['record']}"]
    return [f"time:{trigger['type']}"]


def keys_of(event: dict) -> list[str]:
    """The lookup keys an event meets rules under (the other side of `listens`)."""
    kind, _ = record_of(event)
    return [event["type"]] + ([f"record:{kind}"] if kind != "none" else [])


def matches(trigger: dict, facts: Facts) -> bool:
    if trigger["type"] == "event":
        return facts.event["type"] == trigger["event_type"] and _watched_changed(trigger, facts)
    if trigger["type"] == "transition":
        return record_of(facts.event)[0] == trigger["record"] and _moved(trigger, facts)
    return False


def _watched_changed(trigger: dict, facts: Facts) -> bool:
    watched = trigger.get("watched_fields") or []
    if not watched:
        return True
    changed = (facts.event.get("data") or {}).get("changed_fields")
    if isinstance(changed, list):
        return any(field.split(".")[0] in changed for field in watched)
    if facts.before is None:
        return True  # a record first seen: each of its fields is new
    return any(dig(facts.before, f) != dig(facts.record, f) for f in watched)


def _moved(trigger: dict, facts: Facts) -> bool:
    field = trigger["field"]
    after = dig(facts.record, field)
    if facts.before is not None:
        before = dig(facts.before, field)
    else:  # a stage move names where it came from, even for a record this service has not seen before
        before = (facts.event.get("data") or {}).get("from") if field == "stage" else None
    if before == after or after != trigger["to"]:
        return False
    return "from" not in trigger or before == trigger["from"]

"""The CloudEvents 1.0 envelope and the event contracts.

Every event type `crm.<aggregate>.<event>` has a JSON Schema in contracts/,
named `<type>.v<version>.json`. An event that does not validate is never
published: `new_event` raises before anything is written.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import jsonschema
import jsonschema_rs

from . import tracing

CONTRACTS = Path(__file__).parent / "contracts"
DEFS = CONTRACTS / "defs"  # shapes several contracts share, referenced by `$ref: urn:crm:contracts:defs#/$defs/<name>`
SPECVERSION = "1.0"

# One topic per aggregate; the org topic carries users, departments and teams.
TOPIC_OF_AGGREGATE = {
    "lead": "crm.leads",
    "customer": "crm.customers",
    "pool": "crm.pool",
    "user": "crm.org",
    "department": "crm.org",
    "team": "crm.org",
    "opportunity": "crm.customers",  # a customer's deals: on its topic, keyed by the customer id (new_event key=)
    "pipeline": "crm.org",  # organisation configuration, as the org's users and teams
    "config": "crm.org",  # every service's configuration changes (crm.config.changed, the audit log)
    "notification": "crm.notifications",
    "rule": "crm.automation",  # an automation rule activated or deactivated
    "automation": "crm.automation",  # a rule run's request to the service owning the data, and its answer (subject: the request id)
    # a customer's work and money: on its topic, keyed by the customer id, so they keep order with it
    "task": "crm.customers",
    "quote": "crm.customers",
    "contract": "crm.customers",
    "invoice": "crm.customers",
    "contact": "crm.notifications",  # a contact's opt-out, published by notify (the customer service shows it)
}
TOPICS = tuple(sorted(set(TOPIC_OF_AGGREGATE.values())))

# Facts: something happened that a read model keeps or adds up (a payment, a follow-up, a claim,
# a delivery). A late one still counts, once (crm_common.guard). Every other event says how its
# aggregate is now (its snapshot, its stage, its settings): only a newer one has any effect.
FACT_TYPES = frozenset({
    "crm.customer.created", "crm.customer.followed_up", "crm.customer.followup_scheduled",
    "crm.customer.contract_signed", "crm.customer.payment_received", "crm.customer.ownership_refused",
    "crm.lead.received", "crm.lead.resubmitted", "crm.lead.duplicate_detected",
    "crm.pool.customer_assigned", "crm.pool.customer_claimed", "crm.pool.customer_reclaimed",
    "crm.pool.customer_returned", "crm.pool.customer_transferred", "crm.pool.ownership_requested",
    "crm.pool.reclaim_warning",
    "crm.notification.sent", "crm.notification.failed",
    "crm.config.changed",
    "crm.automation.requested", "crm.automation.applied",
    # each approval decision and each invoice happened once, and an invoice's amount is added up
    "crm.contract.submitted", "crm.contract.approved", "crm.contract.rejected", "crm.contract.activated",
    "crm.invoice.issued", "crm.invoice.voided",
    "crm.contact.unsubscribed",  # an opt-out happened once; its time is kept even when it comes late
})

# Causation (ARCHITECTURE, "Actions across services"): an event caused by an automation rule's run carries
# the runs of its chain and how deep it is, as two CloudEvents extensions. `causedby` is a string (an
# extension may not be a list): the run ids, space-separated, oldest first; `causedepth` counts them.
CAUSED_BY, CAUSE_DEPTH = "causedby", "causedepth"


def caused_by(request: dict) -> dict:
    """The causation extensions an applying service copies from a crm.automation.requested event (or its
    data) onto every event its applying causes: `rt.event(type, subject, data, caused_by=caused_by(request))`.
    So the automation service sees which runs led to the event, and stops a chain that loops."""
    data = request.get("data", request) if request.get("type") else request
    causation = data.get("causation") or {}
    run_ids = [str(r) for r in causation.get("run_ids", [])]
    if not run_ids:
        return {}
    return {CAUSED_BY: " ".join(run_ids), CAUSE_DEPTH: int(causation.get("depth", len(run_ids)))}


def causation_of(event: dict) -> tuple[list[str], int]:
    """The run ids that caused `event` and its depth in the chain ([] and 0 for a person's or a job's event)."""
    run_ids = str(event.get(CAUSED_BY) or "").split()
    return run_ids, int(event.get(CAUSE_DEPTH) or len(run_ids)) if run_ids else 0


def is_fact(event_type: str) -> bool:
    return event_type in FACT_TYPES


# A contract's timestamps are always enforced (RFC 3339: a full date, time and offset), whatever
# format packages are installed.
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", re.IGNORECASE)


def parse_time(value: str) -> datetime:
    """An event's RFC 3339 timestamp (`...Z` or `...+08:00`) as an aware datetime."""
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


def _is_rfc3339(value: str) -> bool:
    try:
        return bool(_RFC3339.match(value)) and bool(parse_time(value))
    except ValueError:
        return False


class InvalidEvent(ValueError):
    """The event does not match its contract."""


def message_key(event: dict) -> bytes:
    """The Kafka message key of an event: its partition key if it names one, else its subject."""
    return (event.get("partitionkey") or event["subject"]).encode()


def dead_letter_topic(topic: str) -> str:
    return topic + ".dlq"


def topic_for(event_type: str) -> str:
    parts = event_type.split(".") if isinstance(event_type, str) else []
    if len(parts) != 3 or parts[0] != "crm" or parts[1] not in TOPIC_OF_AGGREGATE:
        raise InvalidEvent(f"event type {event_type!r} is not crm.<aggregate>.<event>")
    return TOPIC_OF_AGGREGATE[parts[1]]


def stream_of(event: dict) -> str:
    """The aggregate an event is about, e.g. `customer:c1`: its versions count one by one."""
    return f"{event['type'].split('.')[1]}:{event['subject']}"


@lru_cache(maxsize=None)
def schema_for(event_type: str, version: int = 1) -> dict:
    path = CONTRACTS / f"{event_type}.v{version}.json"
    if not path.is_file():
        raise InvalidEvent(f"no contract for {event_type} v{version}")
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def shared_defs() -> dict:
    """Every shared definition file, by its `$id`."""
    docs = (json.loads(path.read_text(encoding="utf-8")) for path in sorted(DEFS.glob("*.json")))
    return {doc["$id"]: doc for doc in docs}


def resolved(schema, _seen: tuple = ()):
    """`schema` with every shared `$ref` replaced by what it names and each `allOf` of objects merged
    into one: the contract as a reader (or a code generator without $ref support) sees it."""
    if isinstance(schema, list):
        return [resolved(item, _seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        uri, _, pointer = schema["$ref"].partition("#")
        target = shared_defs()[uri]
        for part in filter(None, pointer.split("/")):
            target = target[part]
        return resolved({**target, **{k: v for k, v in schema.items() if k != "$ref"}}, _seen + (schema["$ref"],))
    out = {k: resolved(v, _seen) for k, v in schema.items() if k != "allOf"}
    for part in (resolved(p, _seen) for p in schema.get("allOf", [])):
        out["properties"] = {**part.get("properties", {}), **out.get("properties", {})}
        out["required"] = list(dict.fromkeys(part.get("required", []) + out.get("required", [])))
        out.update({k: v for k, v in part.items() if k not in ("properties", "required", "description") and k not in out})
    return out


@lru_cache(maxsize=None)
def _validator(event_type: str, version: int):
    """The contract's compiled validator: every consumer checks every event it reads, and a compiled
    check (jsonschema-rs) costs about a fortieth of an interpreted one."""
    schema = schema_for(event_type, version)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    return jsonschema_rs.validator_for(schema, retriever=shared_defs().__getitem__,
                                       formats={"date-time": _is_rfc3339}, validate_formats=True)


def contract_types() -> list[tuple[str, int]]:
    """Every (type, version) with a contract, for the catalogue and the tests."""
    out = []
    for path in sorted(CONTRACTS.glob("crm.*.v*.json")):
        name, version = path.stem.rsplit(".v", 1)
        out.append((name, int(version)))
    return out


def validate(event: dict) -> None:
    event_type = event.get("type", "")
    try:
        version = int(str(event.get("dataschema", ":v1")).rsplit(":v", 1)[-1])
    except ValueError:
        raise InvalidEvent(f"{event_type}: dataschema {event.get('dataschema')!r} names no version") from None
    validator = _validator(event_type, version)
    if validator.is_valid(event.get("data")):
        return
    error = min(validator.iter_errors(event.get("data")), key=lambda e: e.message)
    where = "/".join(str(p) for p in error.instance_path) or "data"
    raise InvalidEvent(f"{event_type}: {where}: {error.message}")


def new_event(event_type: str, subject: str, data: dict, *, source: str, time: datetime,
              version: int = 1, key: str | None = None, caused_by: dict | None = None) -> dict:
    """Build and validate one event. `subject` is the aggregate id and the message key, unless `key` names
    another: an opportunity's events are keyed by their customer's id, so they share its partition.
    `caused_by` is what `caused_by(request)` gave, for an event an automation request caused."""
    topic_for(event_type)
    event = {
        "specversion": SPECVERSION,
        "id": str(uuid.uuid4()),
        "source": f"/crm/{source}",
        "type": event_type,
        "subject": str(subject),
        "time": time.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "dataschema": f"urn:crm:contracts:{event_type}:v{version}",
        "traceparent": tracing.current_traceparent(),
        "data": data,
    }
    if key is not None:
        event["partitionkey"] = str(key)  # CloudEvents' partitioning extension: the Kafka message key
    if caused_by:
        event.update({CAUSED_BY: str(caused_by[CAUSED_BY]), CAUSE_DEPTH: int(caused_by[CAUSE_DEPTH])})
    validate(event)
    return event


def encode(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def decode(raw: bytes) -> dict:
    """Parse a message value into an event envelope; raise InvalidEvent if it is not one.

    Consumers check the data against the contract (`validate`) for the types they handle.
    """
    try:
        event = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise InvalidEvent("not a JSON object")
    missing = [k for k in ("specversion", "id", "source", "type", "subject") if k not in event]
    if missing:
        raise InvalidEvent(f"not a CloudEvent, missing {', '.join(missing)}")
    for name in ("id", "source", "type", "subject"):
        if not isinstance(event[name], str) or not event[name]:
            raise InvalidEvent(f"attribute {name} must be a non-empty string")
    if not isinstance(event.get("partitionkey", ""), str):
        raise InvalidEvent("attribute partitionkey must be a string")
    if not isinstance(event.get("traceparent", ""), (str, type(None))):
        raise InvalidEvent("attribute traceparent must be a string")
    if not isinstance(event.get(CAUSED_BY, ""), str):
        raise InvalidEvent(f"attribute {CAUSED_BY} must be a string")
    depth = event.get(CAUSE_DEPTH, 0)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise InvalidEvent(f"attribute {CAUSE_DEPTH} must be a whole number")
    version = event.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
        raise InvalidEvent("attribute version must be a positive integer")
    topic_for(event["type"])
    if not str(event.get("dataschema", "")).startswith(f"urn:crm:contracts:{event['type']}:v"):
        raise InvalidEvent("attribute dataschema does not name the event's contract")
    return event

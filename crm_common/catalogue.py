"""The machine-readable catalogue (AsyncAPI 3.0) of every event, built from the contracts folder,
so internal applications read one document and it cannot drift from the schemas.

Written from a subscriber's side: one `receive<Id>` operation per event type, on the channel of its
topic. In AsyncAPI 3.0 a message's id is its key under `components.messages` (the 2.x `messageId`
field is gone), e.g. `CustomerCreatedV1`; the parser reports it as the message's id. Each message
carries an example event built from its contract, valid against it.
"""
from __future__ import annotations

import json
import re
import uuid

from . import topics
from .events import contract_types, dead_letter_topic, resolved, schema_for, shared_defs, topic_for
from .outbox import CONTENT_TYPE

# The attributes every event carries (crm_common.events.new_event), shared by every message.
ENVELOPE = {
    "type": "object", "required": ["specversion", "id", "source", "type", "subject", "time", "dataschema",
                                   "data"],
    "properties": {
        "specversion": {"const": "1.0"}, "id": {"type": "string", "description": "unique per event"},
        "source": {"type": "string", "description": "/crm/<service>"}, "type": {"type": "string"},
        "subject": {"type": "string", "description": "the aggregate's id"},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"const": "application/json"}, "dataschema": {"type": "string"},
        "version": {"type": "integer", "minimum": 1,
                    "description": "the aggregate's version: 1, 2, 3 ... one by one in commit order"},
        "partitionkey": {"type": "string", "description": "the message key, when it is not the subject (an "
                                                         "opportunity's: its customer)"},
        "traceparent": {"type": ["string", "null"], "description": "W3C trace context of the change"},
        "causedby": {"type": "string", "description": "the automation runs that caused this event, space-separated, "
                                                     "oldest first (copied from a crm.automation.requested)"},
        "causedepth": {"type": "integer", "minimum": 0, "description": "how many runs the chain holds"},
        "data": {"type": "object"}},
}
PRODUCTION = {"host": "{bootstrap}", "protocol": "kafka", "description": "A production cluster: its brokers.",
              "variables": {"bootstrap": {"default": "kafka.example.internal:9092",
                                          "description": "a placeholder: your cluster's bootstrap broker"}}}
_EXAMPLE_TIME, _EXAMPLE_DAY = "2026-12-01T08:00:00Z", "2026-12-01"
_PATTERN_EXAMPLES = ("0.00", "2026-12")  # money in yuan, a month: what the contracts' patterns ask for


def message_id(event_type: str, version: int) -> str:
    """`crm.customer.owner_changed` v1 -> `CustomerOwnerChangedV1`: an identifier code generators can use."""
    return "".join(part.title() for part in re.split(r"[._]", event_type.removeprefix("crm."))) + f"V{version}"


def _in_components(schema):
    """A contract with its shared `$ref`s pointing into the catalogue's own components."""
    if isinstance(schema, list):
        return [_in_components(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _in_components(v) for k, v in schema.items()}
    if "$ref" in out and out["$ref"].split("#")[0] in shared_defs():
        out["$ref"] = "#/components/schemas/" + out["$ref"].rsplit("/", 1)[-1]
    return out


def _example(schema: dict, name: str = ""):
    """The smallest value `schema` (resolved: no `$ref`, no `allOf`) accepts: required fields only."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema or "oneOf" in schema:
        return _example(resolved((schema.get("anyOf") or schema["oneOf"])[0]), name)
    kind = schema.get("type", "object")
    kind = next((k for k in kind if k != "null"), "null") if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: _example(properties.get(key, {}), key) for key in schema.get("required", [])}
    if kind == "array":
        return [_example(schema.get("items", {}), name)] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return False
    if kind == "string":
        if "pattern" in schema:
            return next(v for v in _PATTERN_EXAMPLES if re.search(schema["pattern"], v))
        fmt = schema.get("format")
        return _EXAMPLE_TIME if fmt == "date-time" else _EXAMPLE_DAY if fmt == "date" else \
            (name or "x").ljust(schema.get("minLength", 1), "x")
    return None


def example_data(event_type: str, version: int = 1) -> dict:
    """A `data` its contract accepts (crm_common.events.validate checks it in the unit tests)."""
    return _example(resolved(schema_for(event_type, version)))


def example_event(event_type: str, version: int = 1) -> dict:
    aggregate = event_type.split(".")[1]
    return {"specversion": "1.0", "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event_type}.v{version}")),
            "source": "/crm/example", "type": event_type, "subject": f"{aggregate}-1", "time": _EXAMPLE_TIME,
            "datacontenttype": "application/json", "dataschema": f"urn:crm:contracts:{event_type}:v{version}",
            "version": 1, "data": example_data(event_type, version)}


def _message(event_type: str, version: int) -> dict:
    schema = _in_components({k: v for k, v in schema_for(event_type, version).items() if k != "$schema"})
    return {
        "name": f"{event_type}.v{version}", "title": schema.get("title", event_type),
        "summary": schema.get("description", ""), "contentType": "application/cloudevents+json",
        # Structured mode of the CloudEvents Kafka binding: the one header says so; no `ce_` headers.
        "headers": {"type": "object", "required": ["content-type"],
                    "properties": {"content-type": {"const": CONTENT_TYPE}}},
        "payload": {"allOf": [{"$ref": "#/components/schemas/cloudevent"}], "type": "object",
                    "properties": {"type": {"const": event_type},
                                   "dataschema": {"const": f"urn:crm:contracts:{event_type}:v{version}"},
                                   "data": schema}},
        "bindings": {"kafka": {"bindingVersion": "0.5.0", "key": {
            "type": "string", "description": "the event's partitionkey if it has one, else its subject"}}},
        "examples": [{"name": "minimal", "summary": "only the required fields",
                      "headers": {"content-type": CONTENT_TYPE}, "payload": example_event(event_type, version)}],
    }


def _channel(topic: str) -> dict:
    declared = topics.spec(topic) or {}
    return {
        "address": topic, "messages": {},
        "description": f"Keyed by aggregate id, or by the event's partitionkey where it names one (a customer's "
                       f"opportunities go with the customer), so one aggregate's events keep their order; "
                       f"failures of a consumer go to {dead_letter_topic(topic)}.",
        "bindings": {"kafka": {"bindingVersion": "0.5.0", "topic": topic,
                               **({"partitions": declared["partitions"], "replicas": declared["replication"]}
                                  if declared else {})}}}


def servers(bootstrap: list[str]) -> dict:
    """This deployment's brokers (KAFKA_BOOTSTRAP_SERVERS), one server each, and a production placeholder."""
    own = {f"broker{i}" if len(bootstrap) > 1 else "configured": {
        "host": host, "protocol": "kafka", "description": "a bootstrap broker of this deployment"}
        for i, host in enumerate(bootstrap, 1)}
    return {**own, "production": PRODUCTION}


def asyncapi(bootstrap: list[str] | None = None) -> dict:
    channels: dict = {}
    messages: dict = {}
    operations: dict = {}
    for event_type, version in contract_types():
        mid, topic = message_id(event_type, version), topic_for(event_type)
        messages[mid] = _message(event_type, version)
        channel = channels.setdefault(topic, _channel(topic))
        channel["messages"][mid] = {"$ref": f"#/components/messages/{mid}"}
        operations[f"receive{mid}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{topic}"},
            "summary": messages[mid]["title"], "messages": [{"$ref": f"#/channels/{topic}/messages/{mid}"}]}
    shared = {name: _in_components(shape) for doc in shared_defs().values() for name, shape in doc["$defs"].items()}
    return {"asyncapi": "3.0.0",
            "info": {"title": "CRM events", "version": "1",
                     "description": "CloudEvents 1.0 in the structured mode of the Kafka protocol binding "
                                    "(`content-type: application/cloudevents+json`, the event as the value), "
                                    "delivered at least once, in version order per aggregate. Operations are a "
                                    "subscriber's: receive."},
            "defaultContentType": "application/cloudevents+json",
            "servers": servers(bootstrap or ["127.0.0.1:9092"]), "channels": channels, "operations": operations,
            "components": {"schemas": {"cloudevent": ENVELOPE, **shared}, "messages": messages}}


if __name__ == "__main__":
    print(json.dumps(asyncapi(), indent=2, ensure_ascii=False))

"""The machine-readable catalogue (AsyncAPI 2.6) of every event, built from the contracts folder,
so internal applications read one document and it cannot drift from the schemas."""
from __future__ import annotations

import json

from .events import contract_types, dead_letter_topic, schema_for, shared_defs, topic_for
from .outbox import CONTENT_TYPE


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


def _components() -> dict:
    return {name: _in_components(shape) for doc in shared_defs().values() for name, shape in doc["$defs"].items()}


def asyncapi() -> dict:
    channels: dict = {}
    for event_type, version in contract_types():
        schema = _in_components({k: v for k, v in schema_for(event_type, version).items() if k != "$schema"})
        message = {
            "name": f"{event_type}.v{version}", "title": schema.get("title", event_type),
            "summary": schema.get("description", ""), "contentType": "application/cloudevents+json",
            # Structured mode of the CloudEvents Kafka binding: the one header says so; no `ce_` headers.
            "headers": {"type": "object", "required": ["content-type"],
                        "properties": {"content-type": {"const": CONTENT_TYPE}}},
            "payload": {"type": "object", "required": ["specversion", "id", "source", "type", "subject", "time",
                                                       "data"],
                        "properties": {"type": {"const": event_type}, "subject": {"type": "string"},
                                       "partitionkey": {"type": "string", "description": "the message key, when "
                                                        "it is not the subject (an opportunity's: its customer)"},
                                       "dataschema": {"const": f"urn:crm:contracts:{event_type}:v{version}"},
                                       "data": schema}},
        }
        topic = topic_for(event_type)
        channel = channels.setdefault(topic, {
            "description": f"Keyed by aggregate id, or by the event's partitionkey where it names one (a "
                           f"customer's opportunities go with the customer); failures of a consumer go to "
                           f"{dead_letter_topic(topic)}.",
            "subscribe": {"message": {"oneOf": []}}})
        channel["subscribe"]["message"]["oneOf"].append(message)
    return {"asyncapi": "2.6.0", "info": {"title": "CRM events", "version": "1",
                                          "description": "CloudEvents 1.0, JSON structured mode, at least once."},
            "defaultContentType": "application/cloudevents+json", "channels": channels,
            "components": {"schemas": _components()}}


if __name__ == "__main__":
    print(json.dumps(asyncapi(), indent=2, ensure_ascii=False))

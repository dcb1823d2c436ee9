"""The machine-readable catalogue (AsyncAPI 2.6) of every event, built from the contracts folder,
so internal applications read one document and it cannot drift from the schemas."""
from __future__ import annotations

import json

from .events import dead_letter_topic, schema_for, topic_for, contract_types


def asyncapi() -> dict:
    channels: dict = {}
    for event_type, version in contract_types():
        schema = schema_for(event_type, version)
        message = {
            "name": f"{event_type}.v{version}", "title": schema.get("title", event_type),
            "summary": schema.get("description", ""), "contentType": "application/cloudevents+json",
            "headers": {"type": "object", "properties": {"ce_type": {"const": event_type}}},
            "payload": {"type": "object", "required": ["specversion", "id", "source", "type", "subject", "time",
                                                       "data"],
                        "properties": {"type": {"const": event_type}, "subject": {"type": "string"},
                                       "dataschema": {"const": f"urn:crm:contracts:{event_type}:v{version}"},
                                       "data": schema}},
        }
        topic = topic_for(event_type)
        channel = channels.setdefault(topic, {
            "description": f"Keyed by aggregate id; failures of a consumer go to {dead_letter_topic(topic)}.",
            "subscribe": {"message": {"oneOf": []}}})
        channel["subscribe"]["message"]["oneOf"].append(message)
    return {"asyncapi": "2.6.0", "info": {"title": "CRM events", "version": "1",
                                          "description": "CloudEvents 1.0, JSON structured mode, at least once."},
            "defaultContentType": "application/cloudevents+json", "channels": channels}


if __name__ == "__main__":
    print(json.dumps(asyncapi(), indent=2, ensure_ascii=False))

"""The shape of a rule, as one JSON Schema: published at /v1/rules/schema and the one check of every
rule an admin writes, so the documented shape and the accepted one cannot drift apart.

Each trigger, condition and action is told apart by its `type` (or, for a condition, by its one key),
with `if`/`then` rather than `oneOf`, so a mistake is reported at the field that holds it
(`actions.0.type`, `conditions.all.1.op`) instead of "matches none of the alternatives".
"""
from __future__ import annotations

import re

import jsonschema

TRIGGER_TYPES = ("event", "transition", "relative_time", "inactivity", "schedule")
RECORD_KINDS = ("customer", "opportunity", "lead")
OPS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "is_empty", "changed", "contains_any")
ACTION_TYPES = ("create_task", "notify", "assign_owner", "set_fields", "return_to_pool", "webhook", "enroll")
ROLES = ("owner", "supervisor", "department_manager")
MAX_ACTIONS = 10

_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_FIELD = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$", "maxLength": 100}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_TAGS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 50}, "maxItems": 50}
_PERSON = {"type": "object", "properties": {"role": {"enum": list(ROLES)}, "user_id": _ID},
           "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
           "description": "{\"role\": owner|supervisor|department_manager} or {\"user_id\"}"}


def _closed(required: list, properties: dict) -> dict:
    return {"required": required, "properties": properties, "additionalProperties": False}


def _when(key: str, value: str, then: dict) -> dict:
    return {"if": {"properties": {key: {"const": value}}, "required": [key]}, "then": then}


_TRIGGERS = {
    "event": _closed(["type", "event_type"], {"type": {}, "event_type": {"type": "string"},
                                              "watched_fields": {"type": "array", "items": _FIELD, "maxItems": 50}}),
    "transition": _closed(["type", "record", "field", "to"], {"type": {}, "record": {"enum": list(RECORD_KINDS)},
                                                              "field": _FIELD, "from": _SCALAR, "to": _SCALAR}),
    "relative_time": _closed(["type", "record", "date_field", "offset_hours"], {
        "type": {}, "record": {"enum": list(RECORD_KINDS)}, "date_field": _FIELD,
        "offset_hours": {"type": "integer", "minimum": -24 * 366, "maximum": 24 * 366}}),
    "inactivity": _closed(["type", "record", "since_field", "days"], {
        "type": {}, "record": {"enum": list(RECORD_KINDS)}, "since_field": _FIELD,
        "days": {"type": "integer", "minimum": 1, "maximum": 3650}}),
    "schedule": _closed(["type", "cron"], {"type": {}, "cron": {"type": "string", "pattern": r"^\S+( \S+){4}$"}}),
}

_ACTIONS = {
    "create_task": _closed(["type", "title", "assignee"], {
        "type": {}, "title": _TEXT, "assignee": _PERSON, "description": {"type": "string", "maxLength": 5000},
        "due_in_hours": {"type": "number", "minimum": 0, "maximum": 24 * 366},
        "priority": {"enum": ["low", "normal", "high"]},
        "checklist": {"type": "array", "items": _TEXT, "maxItems": 50},
        "escalate": {"type": "array", "maxItems": 5, "description": "who is told when the task is still open",
                     "items": _closed(["after_days", "to"], {"after_days": {"type": "number", "minimum": 0},
                                                             "to": _PERSON})}}),
    "notify": _closed(["type", "to", "message"], {"type": {}, "to": _PERSON,
                                                  "message": {"type": "string", "minLength": 1, "maxLength": 2000}}),
    "assign_owner": _closed(["type", "user_id"], {"type": {}, "user_id": _ID}),
    "set_fields": {**_closed(["type"], {"type": {}, "level": {"type": "string", "maxLength": 20},
                                        "add_tags": _TAGS, "remove_tags": _TAGS}), "minProperties": 2},
    "return_to_pool": _closed(["type", "reason"], {"type": {}, "pool_id": _ID, "reason": _TEXT}),
    "webhook": _closed(["type", "url", "secret"], {"type": {}, "url": {"type": "string", "pattern": "^https?://",
                                                                       "maxLength": 2000},
                                                   "secret": {"type": "string", "minLength": 16, "maxLength": 200}}),
    "enroll": {**_closed(["type", "sequence_id"], {"type": {}, "sequence_id": {
        **_ID, "pattern": r"^[A-Za-z0-9_-]+$", "description": "a sequence of notify's (POST /v1/sequences)"}}),
        "description": "puts the record's contacts in the sequence (a lead itself; a customer's or a deal's "
                       "customer's contacts); notify refuses no_such_sequence or no_contact"},
}

_NEEDS_VALUE = ["eq", "ne", "gt", "gte", "lt", "lte"]
_LEAF = {**_closed(["field", "op"], {
    "field": {"type": "string", "pattern": r"^(event\.data|record)\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$",
              "maxLength": 120, "description": "event.data.<field> or record.<field>"},
    "op": {"enum": list(OPS)}, "value": {}}),
    "allOf": [{"if": {"properties": {"op": {"enum": _NEEDS_VALUE}}, "required": ["op"]},
               "then": {"required": ["value"]}},
              {"if": {"properties": {"op": {"enum": ["in", "contains_any"]}}, "required": ["op"]},
               "then": {"required": ["value"], "properties": {"value": {"type": "array", "maxItems": 200}}}},
              {"if": {"properties": {"op": {"const": "is_empty"}}, "required": ["op"]},
               "then": {"properties": {"value": {"type": "boolean"}}}}]}
_GROUP = {"type": "array", "items": {"$ref": "#/$defs/condition"}, "maxItems": 50}
_CONDITION = {"type": "object", "allOf": [
    {"if": {"required": ["all"]}, "then": _closed(["all"], {"all": _GROUP})},
    {"if": {"required": ["any"]}, "then": _closed(["any"], {"any": _GROUP})},
    {"if": {"required": ["not"]}, "then": _closed(["not"], {"not": {"$ref": "#/$defs/condition"}})},
    {"if": {"not": {"anyOf": [{"required": [k]} for k in ("all", "any", "not")]}}, "then": _LEAF}],
    "description": "{\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or a leaf {\"field\", \"op\", \"value\"?}"}


def rule_schema(event_types: list[str], *, partial: bool = False) -> dict:
    """The JSON Schema of a rule (`partial`: of an edit, where every member is optional)."""
    trigger = {"type": "object", "required": ["type"], "properties": {"type": {"enum": list(TRIGGER_TYPES)}},
               "allOf": [_when("type", name, shape) for name, shape in _TRIGGERS.items()]}
    trigger["allOf"][0]["then"]["properties"]["event_type"] = {"enum": sorted(event_types)}
    action = {"type": "object", "required": ["type"], "properties": {"type": {"enum": list(ACTION_TYPES)}},
              "allOf": [_when("type", name, shape) for name, shape in _ACTIONS.items()]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Automation rule",
        "type": "object", "additionalProperties": False,
        "required": [] if partial else ["name", "trigger", "actions"],
        **({"minProperties": 1} if partial else {}),
        "properties": {
            "name": _TEXT, "priority": {"type": "integer", "minimum": 0, "maximum": 10000,
                                        "description": "lower runs first; 100 when not given"},
            "trigger": trigger, "conditions": {"$ref": "#/$defs/condition"},
            "actions": {"type": "array", "items": action, "minItems": 1, "maxItems": MAX_ACTIONS}},
        "$defs": {"condition": _CONDITION},
    }


def problems(schema: dict, body) -> list[dict]:
    """Every mistake in `body`, as [{"field": "actions.0.type", "message": ...}], sorted by field."""
    validator = jsonschema.Draft202012Validator(schema)
    found = {}
    for error in validator.iter_errors(body):
        for field, message in _described(error):
            found.setdefault(field, message)
    return [{"field": field, "message": found[field]} for field in sorted(found, key=lambda f: (f is None, f or ""))]


def _described(error) -> list[tuple[str | None, str]]:
    where = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return [(".".join(where + missing), "required")]
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [(".".join(where + [str(k)]), "unknown field") for k in error.instance if k not in known]
    if error.validator in ("enum", "const"):
        allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
        shown = ", ".join(map(str, allowed[:12])) + (" ..." if len(allowed) > 12 else "")
        return [(".".join(where) or None, f"must be one of: {shown}")]
    if error.validator in ("minProperties", "maxProperties") and "role" in error.schema.get("properties", {}):
        return [(".".join(where) or None, "give either role or user_id")]
    return [(".".join(where) or None, error.message[:300])]

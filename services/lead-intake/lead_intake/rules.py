"""The rules an admin changes at runtime, without a restart: scoring, assignment, de-duplication."""
from __future__ import annotations

import marshmallow as ma

from .dedup import DEFAULT_FUZZY_THRESHOLD
from .scoring import ScoringRules


class AssignmentRule(ma.Schema):
    team_id = ma.fields.String(required=True)
    region = ma.fields.List(ma.fields.String(), load_default=list, metadata={"description": "province or city"})
    industry = ma.fields.List(ma.fields.String(), load_default=list)
    channel = ma.fields.List(ma.fields.String(), load_default=list, metadata={"description": "channel ids or names"})


class AssignmentRules(ma.Schema):
    rules = ma.fields.List(ma.fields.Nested(AssignmentRule), load_default=list,
                           metadata={"description": "the first matching rule chooses the team"})
    default_team_id = ma.fields.String(load_default=None, allow_none=True)


class DedupRules(ma.Schema):
    fuzzy_threshold = ma.fields.Integer(load_default=DEFAULT_FUZZY_THRESHOLD, validate=ma.validate.Range(50, 100))


SCHEMAS = {"scoring": ScoringRules, "assignment": AssignmentRules, "dedup": DedupRules}


def current(db, name: str, session=None) -> dict:
    """The stored rules, with defaults for whatever was never set."""
    stored = db.config.find_one({"_id": name}, session=session) or {}
    stored.pop("_id", None)
    return SCHEMAS[name]().load(stored)


def all_current(db) -> dict:
    """Every set of rules by name, read in one query (intake needs several on every lead)."""
    stored = {doc.pop("_id"): doc for doc in db.config.find({"_id": {"$in": list(SCHEMAS)}})}
    return {name: schema().load(stored.get(name, {})) for name, schema in SCHEMAS.items()}


def replace(db, name: str, values: dict) -> dict:
    db.config.replace_one({"_id": name}, values, upsert=True)
    return current(db, name)

"""The rules an admin changes at runtime, without a restart: scoring, assignment, de-duplication.

Intake needs every set on every lead, so each process keeps what it read for CACHE_SECONDS (as it
keeps channels): a change applies at once in the process that made it, within CACHE_SECONDS in
the others.
"""
from __future__ import annotations

import time

from crm_common import audit

from ..assignment.schemas import AssignmentRules
from ..dedup.schemas import DedupRules
from ..intake.scoring import ScoringRules

CACHE_SECONDS = 2.0
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


def all_recent(rt) -> dict:
    """`all_current`, as this process read it at most CACHE_SECONDS ago. Callers do not modify it."""
    held = getattr(rt, "rules_cache", None)
    if held is None or held[0] <= time.monotonic():
        held = rt.rules_cache = (time.monotonic() + CACHE_SECONDS, all_current(rt.db))
    return held[1]


def replace(rt, name: str, values: dict) -> dict:
    def work(session):  # the change and its audit row commit together
        before = current(rt.db, name, session)
        rt.db.config.replace_one({"_id": name}, values, upsert=True, session=session)
        audit.record(rt, session, f"rules.{name}", name, before, current(rt.db, name, session))
    rt.transaction(work)
    rt.rules_cache = None  # at once in this process
    return current(rt.db, name)

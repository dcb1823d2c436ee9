"""The rules an admin changes at runtime, without a restart: scoring, assignment, de-duplication.

Intake needs every set on every lead, so each process keeps what it read for CACHE_SECONDS (as it
keeps channels): a change applies at once in the process that made it, within CACHE_SECONDS in
the others.
"""
from __future__ import annotations

import time

from crm_common import audit, concurrency

from ..assignment.schemas import AssignmentRules
from ..dedup.schemas import DedupRules
from ..intake.scoring import ScoringRules

CACHE_SECONDS = 2.0
SCHEMAS = {"scoring": ScoringRules, "assignment": AssignmentRules, "dedup": DedupRules}


def current(db, name: str, session=None) -> dict:
    """The stored rules, with defaults for whatever was never set."""
    return versioned(db, name, session)[0]


def versioned(db, name: str, session=None) -> tuple[dict, int]:
    """The rules in force and their version, the ETag's number: 0 while the defaults were never replaced
    (they are a configuration too, so replacing them needs If-Match as well)."""
    stored = db.config.find_one({"_id": name}, session=session) or {}
    stored.pop("_id", None)
    version = stored.pop("version", 0)
    return SCHEMAS[name]().load(stored), version


def all_current(db) -> dict:
    """Every set of rules by name, read in one query (intake needs several on every lead)."""
    stored = {doc.pop("_id"): doc for doc in db.config.find({"_id": {"$in": list(SCHEMAS)}})}
    for doc in stored.values():
        doc.pop("version", None)
    return {name: schema().load(stored.get(name, {})) for name, schema in SCHEMAS.items()}


def all_recent(rt) -> dict:
    """`all_current`, as this process read it at most CACHE_SECONDS ago. Callers do not modify it."""
    held = getattr(rt, "rules_cache", None)
    if held is None or held[0] <= time.monotonic():
        held = rt.rules_cache = (time.monotonic() + CACHE_SECONDS, all_current(rt.db))
    return held[1]


def replace(rt, name: str, values: dict, expected: frozenset[int] | None) -> tuple[dict, int]:
    """Replace a set of rules, if its version is one of `expected` (If-Match; None: any); the rules and
    their new version."""
    def work(session):  # the change and its audit row commit together
        before, version = versioned(rt.db, name, session)
        concurrency.check({"version": version}, expected)
        rt.db.config.replace_one({"_id": name}, {**values, "version": version + 1}, upsert=True, session=session)
        after = current(rt.db, name, session)
        audit.record(rt, session, f"rules.{name}", name, before, after)
        return after, version + 1
    after, version = rt.transaction(work)
    rt.rules_cache = None  # at once in this process
    return after, version

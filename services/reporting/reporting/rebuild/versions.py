"""Rebuild the read models from the first event, beside the live ones, then swap them in.

    python -m reporting.rebuild          # or POST /v1/reports:rebuild (admin), run by the worker (jobs.py)

A new consumer group reads every topic from its earliest offset into a new version of
the collections (prefix v<n>_) while reports keep answering from the live version.
When it has caught up, the pointer moves to the new version and the group reads once
more to the end: an event the live group put only into the old version after the
catch-up was published before the swap, so this last pass has it; anything later the
live group writes into the new version. The handlers are idempotent and independent
of order by construction, so an event applied by both groups counts once.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from pymongo import ReturnDocument

from crm_common import worker
from crm_common.consumer import ConsumerLoop

from ..model import handlers, store
from ..model.days import timezone_of

REBUILD_BATCH = 2000  # events a transaction (the live group: 100)


def run(rt, *, timeout_seconds: float | None = None, on_progress=lambda applied: None) -> dict:
    db = rt.db
    counter = db[store.POINTER].find_one_and_update({"_id": "counter"}, {"$inc": {"n": 1}}, upsert=True,
                                                    return_document=ReturnDocument.AFTER)
    number = counter["n"] + 1  # the first live version is v1
    target, group = store.Models(db, f"v{number}_"), f"reporting-rebuild-{number}"
    _drop_unused(db, keep=store.live(db).prefix)
    target.ensure_indexes(handlers_only=True)  # the rest once it has caught up, before it goes live
    db[store.POINTER].replace_one({"_id": "building"}, {"_id": "building", "prefix": target.prefix, "group": group},
                                  upsert=True)
    worker.ensure_topics(rt)
    # A rebuild reads the whole log: larger batches than the live group's fold more of it into each write.
    loop = ConsumerLoop(rt, group, handlers.for_models(lambda session: target, timezone_of(rt.settings)),
                        max_poll_records=REBUILD_BATCH, batch_size=REBUILD_BATCH, compact_at=None)
    loop.subscribe()
    started = time.monotonic()
    try:
        applied = _catch_up(loop, started, timeout_seconds, on_progress)
        # Nothing reads the new version yet: its tallies are added up once, from the whole journal.
        store.compact(target)
        target.ensure_indexes(after_each=lambda: on_progress(applied))  # beats: a long build is no dead runner
        previous = store.live(db).prefix
        db[store.POINTER].replace_one({"_id": "live"}, {"_id": "live", "prefix": target.prefix,
                                                        "since": datetime.now(timezone.utc)}, upsert=True)
        db[store.POINTER].delete_one({"_id": "building"})
        applied += _catch_up(loop, started, timeout_seconds, on_progress)
        store.compact(target)
    finally:
        loop.close()
    _forget_rebuild_groups(db)
    # The old version stays until the next rebuild: a report that read the pointer just before
    # the swap may still be reading it.
    return {"prefix": target.prefix, "previous": previous, "group": group, "events_applied": applied,
            "seconds": round(time.monotonic() - started, 2)}


def _catch_up(loop: ConsumerLoop, started: float, timeout_seconds, on_progress, quiet_polls: int = 2) -> int:
    """Poll until every assigned partition is read to its end twice in a row."""
    applied = quiet = 0
    while quiet < quiet_polls:
        if timeout_seconds is not None and time.monotonic() - started > timeout_seconds:
            raise TimeoutError(f"the rebuild did not catch up within {timeout_seconds} s")
        count = loop.poll_once(timeout_ms=300)
        applied += count
        on_progress(applied)
        assigned = loop.consumer.assignment()
        if not assigned:
            quiet = 0
            continue
        ends = loop.consumer.end_offsets(list(assigned))
        behind = any(loop.consumer.position(tp) < ends[tp] for tp in assigned)
        quiet = 0 if behind or count or loop.held else quiet + 1
    return applied


def _drop_unused(db, keep: str) -> None:
    """Versions other than the live one: the one before the last swap, or a rebuild that died."""
    for name in db.list_collection_names():
        match = re.match(r"(v\d+_)", name)
        if match and match.group(1) != keep:
            db[name].drop()


def _forget_rebuild_groups(db) -> None:
    """The version guard's rows of rebuild groups (this one, or one that died): a group is used once,
    so after the swap they only take space. Anchored prefixes: the _id index serves them."""
    db.applied_versions.delete_many({"_id": {"$regex": "^reporting-rebuild-"}})
    db.processed_events.delete_many({"_id": {"$regex": "^reporting-rebuild-"}})

"""Rebuild the read models from the first event, beside the live ones, then swap them in.

    python -m reporting.rebuild          # or POST /v1/reports:rebuild (admin), run by the worker

A new consumer group reads every topic from its earliest offset into a new version of
the collections (prefix v<n>_) while reports keep answering from the live version.
When it has caught up, the pointer moves to the new version and the group reads once
more to the end: an event the live group put only into the old version after the
catch-up was published before the swap, so this last pass has it; anything later the
live group writes into the new version. The handlers are idempotent and independent
of order by construction, so an event applied by both groups counts once.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from datetime import datetime, timedelta, timezone

from pymongo import ReturnDocument

from crm_common import worker
from crm_common.consumer import ConsumerLoop

from ..model import handlers, store

log = logging.getLogger(__name__)
REQUEST = "rebuild"


def run(rt, *, timeout_seconds: float | None = None, on_progress=lambda applied: None) -> dict:
    db = rt.db
    counter = db[store.POINTER].find_one_and_update({"_id": "counter"}, {"$inc": {"n": 1}}, upsert=True,
                                                    return_document=ReturnDocument.AFTER)
    number = counter["n"] + 1  # the first live version is v1
    target, group = store.Models(db, f"v{number}_"), f"reporting-rebuild-{number}"
    _drop_unused(db, keep=store.live(db).prefix)
    target.ensure_indexes()
    db[store.POINTER].replace_one({"_id": "building"}, {"_id": "building", "prefix": target.prefix, "group": group},
                                  upsert=True)
    worker.ensure_topics(rt)
    loop = ConsumerLoop(rt, group, handlers.for_models(lambda session: target))
    loop.subscribe()
    started = time.monotonic()
    try:
        applied = _catch_up(loop, started, timeout_seconds, on_progress)
        previous = store.live(db).prefix
        db[store.POINTER].replace_one({"_id": "live"}, {"_id": "live", "prefix": target.prefix,
                                                        "since": datetime.now(timezone.utc)}, upsert=True)
        db[store.POINTER].delete_one({"_id": "building"})
        applied += _catch_up(loop, started, timeout_seconds, on_progress)
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


def request(rt, by: str) -> dict:
    """Ask the worker for a rebuild; one at a time, so asking again while one is pending changes nothing."""
    db, now = rt.db, datetime.now(timezone.utc)
    db.rebuilds.update_one({"_id": REQUEST, "state": {"$nin": ["pending", "running"]}},
                           {"$set": {"state": "pending", "requested_by": by, "requested_at": now,
                                     "error": None, "result": None}}, upsert=False)
    db.rebuilds.update_one({"_id": REQUEST}, {"$setOnInsert": {"state": "pending", "requested_by": by,
                                                               "requested_at": now}}, upsert=True)
    return status(rt)


def status(rt) -> dict:
    found = rt.db.rebuilds.find_one({"_id": REQUEST}, {"_id": 0}) or {"state": "none"}
    return {**found, "live_prefix": store.live(rt.db).prefix}


def run_requested(rt, stale_seconds: float = 120) -> dict | None:
    """The worker's job: run a pending rebuild (or one whose runner stopped beating)."""
    now = datetime.now(timezone.utc)
    claimed = rt.db.rebuilds.find_one_and_update(
        {"_id": REQUEST, "$or": [{"state": "pending"},
                                 {"state": "running", "beat_at": {"$lt": _ago(now, stale_seconds)}}]},
        {"$set": {"state": "running", "started_at": now, "beat_at": now}})
    if claimed is None:
        return None

    def beat(applied):
        rt.db.rebuilds.update_one({"_id": REQUEST}, {"$set": {"beat_at": datetime.now(timezone.utc),
                                                              "events_applied": applied}})
    try:
        result = run(rt, on_progress=beat)
    except Exception as exc:
        rt.db.rebuilds.update_one({"_id": REQUEST}, {"$set": {"state": "failed", "error": repr(exc)}})
        raise
    rt.db.rebuilds.update_one({"_id": REQUEST}, {"$set": {"state": "done", "result": result,
                                                          "finished_at": datetime.now(timezone.utc)}})
    return result


def _ago(now, seconds):
    return now - timedelta(seconds=seconds)


def job(rt) -> str:
    """Scheduled in the worker: a rebuild runs in a thread of its own, so the scheduler keeps ticking."""
    if rt.db.rebuilds.find_one({"_id": REQUEST, "state": {"$in": ["pending", "running"]}}) is None:
        return "idle"
    threading.Thread(target=run_requested, args=(rt,), name="rebuild", daemon=True).start()
    return "started"


def main() -> None:
    from crm_common.service import bootstrap
    from ..service import SPEC
    rt = bootstrap(SPEC)
    try:
        print(run(rt, on_progress=lambda n: n % 10000 == 0 and n and log.info("%d events applied", n)))
    finally:
        rt.close()


if __name__ == "__main__":
    main()

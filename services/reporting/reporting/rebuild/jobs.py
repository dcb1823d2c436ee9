"""An admin's request for a rebuild, run by the worker: one at a time, pending, running, done or failed,
with a heartbeat so a rebuild whose runner died is taken up again."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from ..model import store
from .versions import run

REQUEST = "rebuild"


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

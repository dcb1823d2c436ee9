"""A large CSV import runs as a job, so it never outlives the request (gunicorn stops one after 30 s).

An import of more than SYNC_MAX_ROWS rows is kept, with its rows in chunks, in MongoDB in one
transaction (kept with its Idempotency-Key like any write) and answered 202 with a `Location` naming
`GET /v1/imports/<id>`: queued, running, done (with the per-row report the synchronous answer gives)
or failed. The worker's `imports` job takes a queued job, or one whose runner stopped beating (a
restart, a crash), and imports it chunk by chunk. Every transaction that imports rows records their
report rows in the same transaction (`keep`), so a resumed job skips the rows that committed and
none is imported twice.
"""
from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

import marshmallow as ma
from flask import g, jsonify
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import ConnectionFailure, PyMongoError

from .auth import Principal, require_user
from .kernel.refusals import NotFound
from .mongo import is_duplicate_key
from .paging import new_id
from .scheduler import Job
from .web import runtime

log = logging.getLogger(__name__)

SYNC_MAX_ROWS = 500   # up to this many rows an import answers at once (a few seconds); more run as a job
CHUNK_ROWS = 500      # rows kept per document, and imported between two heartbeats
STALE_SECONDS = 120   # a running job whose runner has not beaten for this long was abandoned: taken up again
INDEXES = {"import_jobs": [IndexModel([("state", ASCENDING), ("created_at", ASCENDING)])],
           "import_chunks": [IndexModel([("job_id", ASCENDING), ("n", ASCENDING)])],
           "import_rows": [IndexModel([("job_id", ASCENDING), ("row", ASCENDING)])]}
STATES = ("queued", "running", "done", "failed")

# process(rt, job, rows, first_row_number, kept, keep) -> the chunk's report rows, in order.
# `kept` maps a row number (str) to the report row a transaction of an earlier run committed; `keep(session,
# report_rows)` records report rows in the caller's transaction (and aborts it if another runner did them).
Process = Callable


class TakenOver(RuntimeError):
    """Another runner imported these rows meanwhile: this one stops, its transaction undone."""


def too_big_to_wait(rows: list) -> bool:
    return len(rows) > SYNC_MAX_ROWS


def queue(rt, kind: str, principal, params: dict, rows: list[dict]):
    """Keep the job and its rows; the 202 answer naming its status URL."""
    def write(session):
        job_id, now = new_id(), _now()
        rt.db.import_jobs.insert_one({
            "_id": job_id, "kind": kind, "state": "queued", "by": principal.user_id, "rows": len(rows),
            "principal": {"user_id": principal.user_id, "username": principal.username, "role": principal.role,
                          "department_path": list(principal.department_path)},
            "params": params, "created_at": now}, session=session)
        rt.db.import_chunks.insert_many([
            {"_id": f"{job_id}:{n}", "job_id": job_id, "n": n, "first": start + 1,
             "rows": rows[start:start + CHUNK_ROWS], "count": len(rows[start:start + CHUNK_ROWS])}
            for n, start in enumerate(range(0, len(rows), CHUNK_ROWS))], session=session)
        return job_id
    job_id = rt.transaction(write)  # a retried request gets the job its first attempt kept
    answer = jsonify(ImportJobOut().dump(status(rt, job_id)))  # as the status URL answers it
    answer.status_code, answer.headers["Location"] = 202, f"/v1/imports/{job_id}"
    return answer


def keep(rt, job_id: str, session, report_rows: list[dict]) -> None:
    """Record report rows with the work that produced them, in its transaction (a small document a row:
    rewriting the chunk's document on every row made a job twice as slow as the rows' own work)."""
    if not report_rows:
        return
    try:
        rt.db.import_rows.insert_many([{"_id": f"{job_id}:{r['row']}", "job_id": job_id, "row": r["row"], "report": r}
                                       for r in report_rows], session=session)
    except PyMongoError as exc:
        if is_duplicate_key(exc):
            raise TakenOver(job_id) from exc
        raise


def _kept(rt, job_id: str, first: int, count: int) -> dict:
    """Report rows a transaction of an earlier run committed, by row number (str), in this range."""
    return {str(d["row"]): d["report"] for d in rt.db.import_rows.find(
        {"job_id": job_id, "row": {"$gte": first, "$lt": first + count}})}


def status(rt, job_id: str, principal=None) -> dict:
    """The job as its status URL answers it; one the caller did not start (unless an admin) is not found."""
    job = rt.db.import_jobs.find_one({"_id": job_id}, {"params": 0, "principal": 0})
    if job is None or (principal is not None and not principal.is_admin and job["by"] != principal.user_id):
        raise NotFound("no such import")
    report = []
    for chunk in rt.db.import_chunks.find({"job_id": job_id}, {"rows": 0}).sort("n", ASCENDING):
        report += chunk["results"] if "results" in chunk else sorted(
            _kept(rt, job_id, chunk["first"], chunk["count"]).values(), key=lambda r: r["row"])
    counts = tally(report)
    out = {"id": job_id, "kind": job["kind"], "state": job["state"], "rows": job["rows"], "processed": len(report),
           **counts, **{k: job.get(k) for k in ("created_at", "started_at", "finished_at", "error")}}
    if job["state"] == "done":
        out["report"] = {**counts, "results": report}
    return out


def tally(report: list[dict]) -> dict:
    statuses = [r["status"] for r in report]
    return {"created": statuses.count(201), "duplicates": statuses.count(200),
            "rejected": sum(s >= 400 for s in statuses)}


def run_one(rt, process: Process, stale_seconds: float = STALE_SECONDS) -> str | None:
    """Take a queued job, or an abandoned one, and import it to the end; its id (None when there is none)."""
    runner, now = uuid.uuid4().hex, _now()
    abandoned = {"state": "running", "beat_at": {"$lt": now - timedelta(seconds=stale_seconds)}}
    job = rt.db.import_jobs.find_one_and_update(
        {"$or": [{"state": "queued"}, abandoned]},
        {"$set": {"state": "running", "runner": runner, "beat_at": now, "started_at": now}},
        sort=[("created_at", ASCENDING)], return_document=ReturnDocument.AFTER)
    if job is None:
        return None
    mine = {"_id": job["_id"], "runner": runner}
    try:
        for chunk_id in [c["_id"] for c in rt.db.import_chunks.find(
                {"job_id": job["_id"], "results": {"$exists": False}}, {"_id": 1}).sort("n", ASCENDING)]:
            chunk = rt.db.import_chunks.find_one({"_id": chunk_id})
            kept = _kept(rt, job["_id"], chunk["first"], chunk["count"])
            report = process(rt, job, chunk["rows"], chunk["first"], kept,
                             lambda session, rows: keep(rt, job["_id"], session, rows))
            rt.db.import_chunks.update_one({"_id": chunk_id}, {"$set": {"results": report}})
            if not rt.db.import_jobs.update_one(mine, {"$set": {"beat_at": _now()}}).matched_count:
                return job["_id"]  # taken over by another runner, which finishes it
    except TakenOver:
        return job["_id"]
    except ConnectionFailure:
        raise  # left running: taken up again once its heartbeat is stale
    except Exception:
        log.exception("import %s failed", job["_id"])
        rt.db.import_jobs.update_one(mine, {"$set": {"state": "failed", "finished_at": _now(),
                                                     "error": "the import stopped on an unexpected error"}})
        return job["_id"]
    if rt.db.import_jobs.update_one(mine, {"$set": {"state": "done", "finished_at": _now()}}).matched_count:
        # the report stays for the status URL; the file's rows are not kept past their import
        rt.db.import_chunks.update_many({"job_id": job["_id"]}, {"$unset": {"rows": ""}})
    return job["_id"]


def principal_of(job: dict) -> Principal:
    """Who started the job: its rows are imported, and reported, as that user's."""
    return Principal(**job["principal"])


_runners: dict[int, threading.Thread] = {}  # the runner thread of each runtime in this process


def scheduled(rt, process: Process) -> Job:
    """The worker's `imports` job: starts a runner thread (one per process) while jobs wait, so a long import
    never holds the scheduler or its lease."""
    def run_all():
        while run_one(rt, process):
            pass

    def start() -> str:
        if (thread := _runners.get(id(rt))) is not None and thread.is_alive():
            return "running"
        _runners[id(rt)] = threading.Thread(target=run_all, name="imports", daemon=True)
        _runners[id(rt)].start()
        return "started"
    return Job("imports", 2.0, start)


def _now() -> datetime:
    # wall time: moving the business clock in a demo must not make a heartbeat look fresh or stale
    return datetime.now(timezone.utc)


class ImportReport(ma.Schema):
    created = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Dict(), metadata={"description": "one per row, in order"})


class ImportJobOut(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "customers or leads"})
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    rows = ma.fields.Integer(metadata={"description": "rows of the CSV"})
    processed = ma.fields.Integer(metadata={"description": "rows imported or refused so far"})
    created = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    started_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    error = ma.fields.String(allow_none=True)
    report = ma.fields.Nested(ImportReport, metadata={"description": "when done: the synchronous answer's report"})


# `@blp.alt_response(**ACCEPTED)` on an import route: its answer past SYNC_MAX_ROWS
ACCEPTED = {"status_code": 202, "schema": ImportJobOut,
            "description": f"More than {SYNC_MAX_ROWS} rows: the import runs as a job; `Location` names its status",
            "headers": {"Location": {"description": "the job's status URL, `/v1/imports/<id>`",
                                     "schema": {"type": "string"}}}}

def add_status_route(blp) -> None:
    """`GET /v1/imports/<id>` on a service's blueprint (prefix /v1) that takes CSV imports."""
    @blp.route("/imports/<job_id>", methods=["GET"])
    @require_user()
    @blp.response(200, ImportJobOut)
    def import_status(job_id):
        """A CSV import run as a job, to the user who started it (and admins): its state, its counts so far
        and, when done, the per-row report."""
        return status(runtime(), job_id, g.principal)

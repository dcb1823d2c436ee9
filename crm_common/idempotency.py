"""Idempotency-Key: a retried request gets the first response and changes nothing.

The key is reserved before the work and the response stored after it; a request
with a reused key but another body is refused, and a retry that arrives while
the first is still running is told to try again.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from .errors import Problem

HEADER = "Idempotency-Key"
STALE_AFTER = timedelta(seconds=60)  # a reservation older than this was left by a crash


def fingerprint(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def replay_or_run(rt, scope: str, key: str | None, body, run):
    """`run()` -> (payload, status) once per (scope, key); later calls replay it."""
    if not key:
        return run()
    if len(key) > 200:
        raise Problem(400, "the Idempotency-Key header is too long",
                      errors=[{"field": HEADER, "message": "at most 200 characters"}])
    store, now, digest = rt.db.idempotency_keys, rt.clock.now(), fingerprint(body)
    doc_id = f"{scope}:{key}"
    try:
        store.insert_one({"_id": doc_id, "fingerprint": digest, "state": "running", "created_at": now})
    except DuplicateKeyError:
        first = store.find_one({"_id": doc_id}) or {}
        if first.get("fingerprint") != digest:
            raise Problem(422, "this Idempotency-Key was used with a different request",
                          errors=[{"field": HEADER, "message": "reused with another body"}]) from None
        if first.get("state") == "done":
            return first["payload"], first["status"]
        if first.get("created_at") and first["created_at"] > now - STALE_AFTER:
            raise Problem(409, "a request with this Idempotency-Key is still being processed",
                          headers={"Retry-After": "1"}) from None
        store.update_one({"_id": doc_id}, {"$set": {"created_at": now}})
    try:
        payload, status = run()
    except Exception:
        store.delete_one({"_id": doc_id, "state": "running"})  # a failed first attempt may be retried
        raise
    store.update_one({"_id": doc_id}, {"$set": {"state": "done", "payload": payload, "status": status}})
    return payload, status

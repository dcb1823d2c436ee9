"""MongoDB connection, index setup and transactions."""
from __future__ import annotations

import logging
import time
from typing import Callable, Iterable, Mapping

from pymongo import ASCENDING, IndexModel, MongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

log = logging.getLogger(__name__)

# Indexes the plumbing itself needs in every service database.
PLUMBING_INDEXES: Mapping[str, list[IndexModel]] = {
    "outbox": [IndexModel([("status", ASCENDING), ("seq", ASCENDING)]),
               # sent rows are kept a week for replays; pending rows have no sent_at and never expire
               IndexModel([("sent_at", ASCENDING)], expireAfterSeconds=7 * 86400)],
    "processed_events": [IndexModel([("processed_at", ASCENDING)])],
    "idempotency_keys": [IndexModel([("created_at", ASCENDING)], expireAfterSeconds=7 * 86400)],
    "rate_windows": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)],
}


def connect(uri: str, *, wait_seconds: float = 30.0) -> MongoClient:
    """A client that has reached the server, waiting for it to come up first."""
    client = MongoClient(uri, serverSelectionTimeoutMS=2000, tz_aware=True, uuidRepresentation="standard")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            client.admin.command("ping")
            return client
        except PyMongoError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for MongoDB at %s: %s", uri, exc)
            time.sleep(0.5)


def ensure_indexes(db, *specs: Mapping[str, Iterable[IndexModel]]) -> None:
    """Create the declared indexes (idempotent); each service declares its own."""
    for spec in (PLUMBING_INDEXES, *specs):
        for collection, models in spec.items():
            models = list(models)
            if models:
                db[collection].create_indexes(models)


def in_transaction(client: MongoClient, work: Callable):
    """Run `work(session)` in one transaction, retried on transient errors."""
    with client.start_session() as session:
        return session.with_transaction(work)


def is_duplicate_key(exc: Exception) -> bool:
    """A unique index refused the write, whether from one insert or a bulk one."""
    if isinstance(exc, DuplicateKeyError):
        return True
    errors = exc.details.get("writeErrors", []) if isinstance(exc, BulkWriteError) else []
    return bool(errors) and all(e.get("code") == 11000 for e in errors)

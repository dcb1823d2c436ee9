"""A transaction's writes to several collections, sent in one command where the server has one.

MongoDB 8.0's `bulkWrite` (pymongo's `MongoClient.bulk_write`) writes across collections in
one round trip; an older server gets one `bulk_write` per collection (collections in the order
they first appear, each one's writes in the order given). So do many writes to few collections
(a batch): SecantusDB applies a `bulkWrite` one operation at a time, at twice the server time a
document of an `insert` carrying many (measured: 0.375 against 0.180 ms a document, 500 a command,
three indexes), while for one lead the one command saves five round trips. Either way a unique
index refusing a write raises DuplicateKeyError, as a single insert would, and the caller's
transaction is aborted, so callers decide a race the same way on both.
"""
from __future__ import annotations

from pymongo.errors import BulkWriteError, ClientBulkWriteException, DuplicateKeyError

CLIENT_BULK_WRITE_WIRE_VERSION = 25  # MongoDB 8.0
PER_COLLECTION_FROM = 8  # writes per collection, on average, from which each collection gets its own command


def send(db, session, writes: list[tuple[str, object]]) -> None:
    """`writes`: (collection name, pymongo write op built with namespace=f"{db.name}.{collection}")."""
    if not writes:
        return
    collections = {collection for collection, _ in writes}
    if not _one_command(db.client) or len(writes) >= PER_COLLECTION_FROM * len(collections):
        by_collection: dict[str, list] = {}
        for collection, op in writes:
            by_collection.setdefault(collection, []).append(op)
        for collection, ops in by_collection.items():
            try:
                db[collection].bulk_write(ops, ordered=True, session=session)
            except BulkWriteError as exc:
                _raise_duplicate_key(exc.details.get("writeErrors") or [{}], exc)
        return
    try:
        db.client.bulk_write([op for _, op in writes], ordered=True, session=session)
    except ClientBulkWriteException as exc:
        if isinstance(exc.error, Exception):
            raise exc.error from exc  # keeps its labels (TransientTransactionError) for the retry
        _raise_duplicate_key(exc.write_errors or [{}], exc)


def _raise_duplicate_key(write_errors: list, exc: Exception):
    """A unique index refused the first failed write: DuplicateKeyError, as a single insert raises."""
    first = write_errors[0]
    if first.get("code") == 11000:
        raise DuplicateKeyError(first.get("errmsg", "duplicate key"), 11000, first) from exc
    raise exc


def namespace(db, collection: str) -> str:
    return f"{db.name}.{collection}"


def _one_command(client) -> bool:
    return max((s.max_wire_version or 0 for s in client.topology_description.server_descriptions().values()),
               default=0) >= CLIENT_BULK_WRITE_WIRE_VERSION

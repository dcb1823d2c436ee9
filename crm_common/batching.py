"""Read-model writes folded over a batch of events: each document is written once per batch.

Inside `folding(db, session)` (the consumer loop opens one around a poll's events of a partition):
- `inc(...)` adds to a counter document (a tally); the sums are kept in memory per document. A
  counter may be `described` by a document of another collection, stored once, when the counter is
  first created: the counters then carry only `_id` and their sums (no secondary index to keep up
  on every write), and their description the fields a reader looks them up by, indexed;
- `replace(...)` stores a record (a customer, a lead) as it now is; the last one wins;
- `get(...)` and `find(...)` read records as the batch left them: the ones it replaced from
  memory (as MongoDB would return them: through BSON), the others from the database, once.
When the block ends every collection gets one bulk write, in the same session, so a poll of a
hundred events about a few customers and days costs a write per document touched, not one per
event. A block that raises writes nothing: its transaction is abandoned anyway. An inner block
joins the outer one; outside any block each call goes to the database at once.

Counters are never read back inside a batch (reports read them, handlers do not); code that would
must `flush` first.
"""
from __future__ import annotations

import contextlib
import contextvars

import bson
from pymongo import ReplaceOne, UpdateOne

_active: contextvars.ContextVar["_Fold | None"] = contextvars.ContextVar("crm_folding", default=None)


class _Pending:
    """One collection's share of a batch."""

    def __init__(self, db, target):
        self.db, self.target = db, target
        self.sums: dict = {}     # _id -> its folded update
        self.records: dict = {}  # _id -> (BSON of the record or None, replaced in this batch?)
        self.described: dict = {}  # counter _id -> (collection, document) to store if the counter is new

    def encoded(self, doc):
        return bson.encode(doc, codec_options=self.target.codec_options) if doc is not None else None

    def decoded(self, raw):
        return bson.decode(raw, codec_options=self.target.codec_options) if raw is not None else None

    def requests(self) -> tuple[list, list]:
        """The batch's writes, and the _id each one writes (to tell which counters it created)."""
        replaced = [_id for _id, (_, was) in self.records.items() if was]
        return ([ReplaceOne({"_id": _id}, self.decoded(self.records[_id][0]), upsert=True) for _id in replaced]
                + [UpdateOne({"_id": _id}, _update(_id, update), upsert=True) for _id, update in self.sums.items()],
                replaced + list(self.sums))


class _Fold:
    def __init__(self, session):
        self.session = session
        self.pending: dict = {}  # (database, collection) -> _Pending

    def of(self, db, collection: str) -> _Pending:
        key = (db.name, collection)
        if key not in self.pending:
            self.pending[key] = _Pending(db, db[collection])
        return self.pending[key]

    def flush(self) -> None:
        for pending in list(self.pending.values()):
            requests, ids = pending.requests()
            if requests:
                result = pending.target.bulk_write(requests, ordered=False, session=self.session)
                _describe(pending.db, self.session,
                          [pending.described.pop(ids[i]) for i in result.upserted_ids if ids[i] in pending.described])
            pending.sums, pending.described = {}, {}
            pending.records = {_id: (raw, False) for _id, (raw, _) in pending.records.items()}  # now stored


def _empty() -> dict:
    return {"$inc": {}, "$set": {}, "$setOnInsert": {}}


def _merge(update: dict, inc: dict, set_on_insert: dict | None, set: dict | None) -> None:
    """Fold one more upsert into `update`: sums added, the last set wins, the first set-on-insert wins."""
    for field, value in (set or {}).items():
        update["$inc"].pop(field, None)  # a value set replaces what was added before it
        update["$set"][field] = value
    for field, value in inc.items():
        if field in update["$set"]:
            update["$set"][field] += value  # added after a set: the set value plus this
        else:
            update["$inc"][field] = update["$inc"].get(field, 0) + value
    for field, value in (set_on_insert or {}).items():
        update["$setOnInsert"].setdefault(field, value)


def _update(_id, update: dict) -> dict:
    """The one update of a folded document. A field set is never also set on insert (the set wins
    either way); a sum of zero is still written, so the document exists as it would unfolded."""
    on_insert = {k: v for k, v in update["$setOnInsert"].items() if k not in update["$set"]}
    out = {op: fields for op, fields in (("$inc", update["$inc"]), ("$set", update["$set"]),
                                         ("$setOnInsert", on_insert)) if fields}
    return out or {"$setOnInsert": {"_id": _id}}


def _describe(db, session, described: list) -> None:
    """Store the descriptions of counters just created, one insert per collection."""
    by_collection: dict = {}
    for collection, doc in described:
        by_collection.setdefault(collection, []).append(doc)
    for collection, docs in by_collection.items():
        db[collection].insert_many(docs, ordered=False, session=session)


def _joined(session) -> _Fold | None:
    fold = _active.get()
    return fold if fold is not None and fold.session is session else None


@contextlib.contextmanager
def folding(db, session):
    """Fold every `inc` in `session` until the block ends; an inner block joins the outer one."""
    if _active.get() is not None:
        yield
        return
    fold = _Fold(session)
    token = _active.set(fold)
    try:
        yield
        fold.flush()
    finally:
        _active.reset(token)


def inc(db, session, collection: str, _id, inc: dict, *, set_on_insert: dict | None = None,
        set: dict | None = None, described: tuple[str, dict] | None = None) -> None:  # noqa: A002
    """Add to a counter document (upserted): folded inside `folding`, written at once outside it.
    `described`: (collection, document with the same _id) stored once, when the counter is created."""
    fold = _joined(session)
    if fold is not None:
        pending = fold.of(db, collection)
        _merge(pending.sums.setdefault(_id, _empty()), inc, set_on_insert, set)
        if described is not None:
            pending.described.setdefault(_id, described)
        return
    update = _empty()
    _merge(update, inc, set_on_insert, set)
    result = db[collection].update_one({"_id": _id}, _update(_id, update), upsert=True, session=session)
    if described is not None and result.upserted_id is not None:
        _describe(db, session, [described])


def replace(db, session, collection: str, doc: dict) -> None:
    """Store a record whole (upserted): held to the end of the batch inside `folding`."""
    fold = _joined(session)
    if fold is None:
        db[collection].replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)
        return
    pending = fold.of(db, collection)
    pending.records[doc["_id"]] = (pending.encoded(doc), True)


def get(db, session, collection: str, _id) -> dict | None:
    """A record by _id as the batch left it (a fresh copy each time: the caller may change it)."""
    fold = _joined(session)
    if fold is None:
        return db[collection].find_one({"_id": _id}, session=session)
    pending = fold.of(db, collection)
    if _id not in pending.records:
        found = pending.target.find_one({"_id": _id}, session=session)
        pending.records[_id] = (pending.encoded(found), False)  # read once a batch
        return found
    return pending.decoded(pending.records[_id][0])


def find(db, session, collection: str, field: str, value) -> list[dict]:
    """The records whose (single-valued) `field` equals `value`, as the batch left them."""
    fold = _joined(session)
    found = list(db[collection].find({field: value}, session=session))
    if fold is None:
        return found
    pending = fold.of(db, collection)
    replaced = {_id: pending.decoded(raw) for _id, (raw, was) in pending.records.items() if was}
    return [doc for doc in found if doc["_id"] not in replaced] + [
        doc for doc in replaced.values() if doc.get(field) == value]


def flush(db, session) -> None:
    """Write what the current batch has folded so far (before reading one of its counters back)."""
    fold = _joined(session)
    if fold is not None:
        fold.flush()

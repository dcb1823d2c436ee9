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

A counter may be `journaled` instead: a batch then appends its folded sums as one journal
document (an insert, no upsert; SecantusDB charges an upsert about ten times an insert, plus
each field it holds and changes), and `compact` adds the journal's sums into the counters later,
many batches at once, so a counter touched by many batches is written once for all of them.
Readers add the journal's sums in (`journaled`, in the snapshot they read the counters in); the
consumer loop compacts a journal once this process appended `COMPACT_AT` sums to it (`compact_due`).

Counters are never read back inside a batch (reports read them, handlers do not); code that would
must `flush` first (and, journaled, `compact`).
"""
from __future__ import annotations

import contextlib
import contextvars

import bson
from bson import ObjectId
from pymongo import ReplaceOne, UpdateOne

from . import mongo

_active: contextvars.ContextVar["_Fold | None"] = contextvars.ContextVar("crm_folding", default=None)
COMPACT_AT = 5000  # journaled sums (a counter and a batch each) after which the consumer compacts
JOURNAL_DOC = 5000  # sums a journal document at most (a document stays far below 16 MB)
_appended: dict = {}  # (database, journal) -> sums this process appended since it last compacted it


class _Pending:
    """One collection's share of a batch."""

    def __init__(self, db, target):
        self.db, self.target = db, target
        self.sums: dict = {}     # _id -> its folded update
        self.records: dict = {}  # _id -> (BSON of the record or None, replaced in this batch?)
        self.described: dict = {}  # counter _id -> (collection, document) to store if the counter is new
        self.journal: str | None = None  # journaled: the sums go there, not to the counters

    def encoded(self, doc):
        return bson.encode(doc, codec_options=self.target.codec_options) if doc is not None else None

    def decoded(self, raw):
        return bson.decode(raw, codec_options=self.target.codec_options) if raw is not None else None

    def requests(self) -> tuple[list, list]:
        """The batch's writes, and the _id each one writes (to tell which counters it created)."""
        replaced = [_id for _id, (_, was) in self.records.items() if was]
        sums = {} if self.journal else self.sums
        return ([ReplaceOne({"_id": _id}, self.decoded(self.records[_id][0]), upsert=True) for _id in replaced]
                + [UpdateOne({"_id": _id}, _update(_id, update), upsert=True) for _id, update in sums.items()],
                replaced + list(sums))

    def journal_entries(self) -> list[dict]:
        """The folded sums as journal documents: [counter _id, [[field, sum], ...]] (field names hold
        dots, so lists), with the descriptions of the counters they may create, as BSON binaries,
        one per group of counters (the _id up to its second "|": a reader decodes only its own);
        SecantusDB's cost grows with every field it stores and returns, a binary is one."""
        sums = [[_id, list(update["$inc"].items())] for _id, update in self.sums.items()]
        out = []
        for part in (sums[i:i + JOURNAL_DOC] for i in range(0, len(sums), JOURNAL_DOC)):
            groups: dict = {}
            for entry in part:
                group = groups.setdefault(_group(entry[0]), {"sums": [], "described": []})
                group["sums"].append(entry)
                if entry[0] in self.described:
                    group["described"].append(self.described[entry[0]])
            out.append({"_id": ObjectId(), "into": self.target.name, "count": len(part), "groups": {
                name: bson.Binary(bson.encode(group, codec_options=self.target.codec_options))
                for name, group in groups.items()}})
        return out


def _group(_id) -> str:
    """The journal group of a counter: its _id up to the second "|" (reporting: kind and level)."""
    return "|".join(str(_id).split("|", 2)[:2]).replace(".", "_").replace("$", "_")


class _Fold:
    def __init__(self, session, events=()):
        self.session, self.events = session, list(events)
        self.pending: dict = {}  # (database, collection) -> _Pending
        self.prefetched: set = set()  # collections whose batch records were read at once

    def of(self, db, collection: str) -> _Pending:
        key = (db.name, collection)
        if key not in self.pending:
            self.pending[key] = _Pending(db, db[collection])
        return self.pending[key]

    def flush(self) -> None:
        for pending in list(self.pending.values()):
            if pending.journal and pending.sums:
                entries = pending.journal_entries()
                pending.db[pending.journal].insert_many(entries, ordered=False, session=self.session)
                key = (pending.db.name, pending.journal)
                _appended[key] = _appended.get(key, 0) + len(pending.sums)
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
def folding(db, session, events=()):
    """Fold every `inc` in `session` until the block ends; an inner block joins the outer one.
    `events`: the batch's, for `prefetch`."""
    if _active.get() is not None:
        yield
        return
    fold = _Fold(session, events)
    token = _active.set(fold)
    try:
        yield
        fold.flush()
    finally:
        _active.reset(token)


def inc(db, session, collection: str, _id, inc: dict, *, set_on_insert: dict | None = None,
        set: dict | None = None, described: tuple[str, dict] | None = None,  # noqa: A002
        journal: str | None = None) -> None:
    """Add to a counter document (upserted): folded inside `folding`, written at once outside it.
    `described`: (collection, document with the same _id) stored once, when the counter is created.
    `journal`: inside `folding`, the batch's sums go to that journal collection (sums only: no set)."""
    fold = _joined(session)
    if fold is not None:
        pending = fold.of(db, collection)
        if journal is not None:
            if set or set_on_insert:
                raise ValueError("a journaled counter only adds")
            pending.journal = journal
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


def prefetch(db, session, collection: str, ids_of) -> None:
    """Inside `folding`, once a batch and collection: read the records `ids_of(the batch's events)`
    names in a few `$in` reads, so the batch's `get`s of them need no read each."""
    fold = _joined(session)
    if fold is None or (db.name, collection) in fold.prefetched:
        return
    fold.prefetched.add((db.name, collection))
    pending = fold.of(db, collection)
    wanted = [_id for _id in dict.fromkeys(ids_of(fold.events)) if _id is not None and _id not in pending.records]
    for first in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[first:first + IN_CHUNK]
        found = {doc["_id"]: doc for doc in pending.target.find({"_id": {"$in": chunk}}, session=session)}
        for _id in chunk:
            pending.records[_id] = (pending.encoded(found.get(_id)), False)


# A long $in costs more than its length on SecantusDB (1,500 ids 1.6 s, 200 ids 39 ms).
IN_CHUNK = 100


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


def compact(db, journal: str, *, documents: int = 100) -> int:
    """Add a journal's sums into their counters (creating and describing new ones) and remove them,
    `documents` journal documents a transaction; how many were compacted. Concurrent compactions
    of one journal conflict on the documents they remove, and the later one is retried."""
    _appended.pop((db.name, journal), None)
    if db[journal].find_one({}, {"_id": 1}) is None:  # the common case of a reader: nothing pending
        return 0
    done = 0
    while True:
        count = mongo.in_transaction(db.client, lambda session: _compact_some(db, journal, session, documents))
        done += count
        if count < documents:
            return done


def _compact_some(db, journal: str, session, documents: int) -> int:
    found = list(db[journal].find({}, session=session).sort("_id", 1).limit(documents))
    fold = _Fold(session)
    for doc in found:
        pending = fold.of(db, doc["into"])
        for entries in _entries(db[doc["into"]], doc):
            for _id, fields in entries["sums"]:
                _merge(pending.sums.setdefault(_id, _empty()), dict(fields), None, None)
            for collection, described in entries["described"]:
                pending.described.setdefault(described["_id"], (collection, described))
    fold.flush()
    if found:
        db[journal].delete_many({"_id": {"$in": [doc["_id"] for doc in found]}}, session=session)
    return len(found)


def _entries(target, doc: dict, groups=None):
    """A journal document's groups (those named in `groups`, or all) decoded: their sums and descriptions."""
    for name, raw in doc["groups"].items():
        if groups is None or name in groups:
            yield bson.decode(raw, codec_options=target.codec_options)


def journaled(db, journal: str, session, group: str | None = None) -> dict:
    """What a journal holds, not yet compacted: counter _id -> (its folded increments {field: sum},
    its description or None), read in `session` (a reader's snapshot); `group`: only its counters
    (their _id up to the second "|")."""
    out: dict = {}
    wanted = None if group is None else {_group(group + "|")}
    for doc in db[journal].find({}, session=session):
        for entries in _entries(db[doc["into"]], doc, wanted):
            described = {d["_id"]: d for _, d in entries["described"]}
            for _id, fields in entries["sums"]:
                sums = out.setdefault(_id, ({}, described.get(_id)))[0]
                for field, value in fields:
                    sums[field] = sums.get(field, 0) + value
    return out


def compact_due(db, at: int = COMPACT_AT) -> int:
    """Compact the journals this process appended `at` sums or more to since it last compacted them."""
    return sum(compact(db, journal) for (name, journal), sums in list(_appended.items())
               if name == db.name and sums >= at)

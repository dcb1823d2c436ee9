"""Counters folded over a batch of events: each counter document is written once per batch.

A read model's tallies are upserts that add to counters. Inside `folding(db, session)` every
`inc(...)` is kept in memory, summed per document, and written when the block ends (one
bulk write per collection, in the same session), so a poll of a hundred events that touch the
same day's counters costs one write per counter document instead of one per event. A block
that raises writes nothing: its transaction is abandoned anyway.

The pending sums are not readable in the database until they are written: code that reads
a counter it incremented in the same batch calls `flush` first. Records read back by later
events (a customer, a lead) are written at once as before; only counters are folded.
"""
from __future__ import annotations

import contextlib
import contextvars

from pymongo import UpdateOne

_active: contextvars.ContextVar["_Fold | None"] = contextvars.ContextVar("crm_folding", default=None)


class _Fold:
    def __init__(self, session):
        self.session = session
        self.pending: dict = {}  # (database, collection) -> (the collection, {_id: its folded update})

    def add(self, db, collection: str, _id, inc: dict, set_on_insert: dict | None, set: dict | None) -> None:
        _, docs = self.pending.setdefault((db.name, collection), (db[collection], {}))
        _merge(docs.setdefault(_id, _empty()), inc, set_on_insert, set)

    def flush(self) -> None:
        pending, self.pending = self.pending, {}
        for target, docs in pending.values():
            target.bulk_write([UpdateOne({"_id": _id}, _update(_id, update), upsert=True)
                               for _id, update in docs.items()], ordered=False, session=self.session)


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
        set: dict | None = None) -> None:  # noqa: A002 - named after the MongoDB operator
    """Add to a counter document (upserted): folded inside `folding`, written at once outside it."""
    fold = _joined(session)
    if fold is not None:
        fold.add(db, collection, _id, inc, set_on_insert, set)
        return
    update = _empty()
    _merge(update, inc, set_on_insert, set)
    db[collection].update_one({"_id": _id}, _update(_id, update), upsert=True, session=session)


def flush(db, session) -> None:
    """Write what the current batch has folded so far (before reading one of its counters back)."""
    fold = _joined(session)
    if fold is not None:
        fold.flush()

"""The read models' collections: one versioned set at a time is live, named by a pointer.

Tallies are journaled (handlers call `save` as before): a batch appends its folded tally sums to
`tally_journal` as one document, and `compact` adds them into `tallies` many batches at once (the
consumer every few thousand sums, a rebuild before it goes live); readers add what is left in.

A rebuild fills a new set (prefix `v<n>_`) beside the live one and then moves the
pointer, so reports keep answering from the old set until the new one is complete.
"""
from __future__ import annotations

import hashlib
import json

from pymongo import ASCENDING, IndexModel, ReplaceOne

from crm_common import batching, mongo

from .contributions import dims as dims_of, loaded, stored

POINTER = "rm_pointer"
JOURNAL = "tally_journal"  # tally sums of batches not yet added into `tallies` (see `compact`)
LEVELS = (0, 1, 2)
# Kinds no report reads for whole departments (they are read by rep or by channel only), kept at
# fewer levels: each event then updates fewer tally rows (about 9 instead of 13 for a follow-up).
KIND_LEVELS = {**dict.fromkeys(("lead", "dup", "possible", "converted"), (0,)),
               **dict.fromkeys(("new", "won", "fu", "cold", "never", "due", "delivery", "pool", "high",
                                "tdone", "tlate", "topen"), (0, 1))}


def levels_of(kind: str) -> tuple:
    return KIND_LEVELS.get(kind, LEVELS)
FIRST_PREFIX = "v1_"
INDEXES = {
    "customers": [IndexModel([("owner_id", ASCENDING)]), IndexModel([("collaborator_ids", ASCENDING)]),
                  IndexModel([("source_lead_id", ASCENDING)], sparse=True),
                  IndexModel([("paid", ASCENDING)], sparse=True),
                  IndexModel([("owner_id", ASCENDING), ("next_contact_at", ASCENDING)]),
                  IndexModel([("owner_id", ASCENDING), ("high_intent", ASCENDING), ("stage_since", ASCENDING)]),
                  IndexModel([("owner_id", ASCENDING), ("pinned", ASCENDING)])],
    "others": [IndexModel([("owner_id", ASCENDING)]),
               IndexModel([("owner_id", ASCENDING), ("open_due", ASCENDING)])],  # a rep's open tasks
    # A tally's sums (`tallies`, _id only: written by every batch) and what it counts (`tally_keys`:
    # kind, level, dimensions, key; written once, when the tally first appears), which reports look
    # tallies up by. On SecantusDB an upsert into the indexed shape cost about twice one by _id alone.
    "tally_keys": [IndexModel([("kind", ASCENDING), ("level", ASCENDING), ("owner_id", ASCENDING)]),
                   IndexModel([("kind", ASCENDING), ("level", ASCENDING), ("department_path", ASCENDING)])],
}

# The indexes the handlers query by (a lead's customers, a user's leads and moves); the others
# serve only reports, so a rebuild fills a version without them and builds them once, before the
# version goes live: one build costs less than keeping them up to date on every write.
HANDLERS_QUERY = {"customers": ("source_lead_id_1",), "others": ("owner_id_1",)}


class Models:
    """The collections of one version of the read models."""

    def __init__(self, db, prefix: str):
        self.db, self.prefix = db, prefix

    def __getattr__(self, name):
        return self.db[self.prefix + name]

    # Records are read and written through crm_common.batching: inside the consumer's batch a
    # record read again comes from memory, and each is written once, when the batch ends.
    def get(self, name: str, _id, session) -> dict | None:
        batching.prefetch(self.db, session, self.prefix + name, lambda events: _named(name, events))
        return batching.get(self.db, session, self.prefix + name, _id)

    def find_by(self, name: str, field: str, value, session) -> list[dict]:
        return batching.find(self.db, session, self.prefix + name, field, value)

    def replace(self, name: str, doc: dict, session) -> None:
        batching.replace(self.db, session, self.prefix + name, doc)

    def ensure_indexes(self, *, handlers_only: bool = False, after_each=lambda: None) -> None:
        """Every index, one at a time; or, `handlers_only`, those the handlers' own queries need.
        Tallies stored by an earlier release (their key inside) are split first."""
        split_keys(self)
        for name, indexes in INDEXES.items():
            for index in indexes:
                if not handlers_only or index.document["name"] in HANDLERS_QUERY.get(name, ()):
                    self.db[self.prefix + name].create_indexes([index])
                    after_each()

    def drop(self) -> None:
        for name in ("customers", "others", "users", "departments", "pipelines", "pools", "tallies", "tally_keys",
                     JOURNAL):
            self.db[self.prefix + name].drop()


def _named(name: str, events) -> list:
    """The records of `name` a batch's events are likely to read (the others are read when asked for)."""
    datas = [event.get("data") or {} for event in events]
    if name == "customers":
        return [data.get("customer_id") for data in datas]
    if name == "others":
        return ["lead:" + data["lead_id"] for data in datas if data.get("lead_id")]
    if name == "users":
        return [data.get(f) for data in datas for f in ("owner_id", "user_id")]
    return []


KEY_FIELDS = ("kind", "level", "k", "owner_id", "department_path", "channel", "campaign")


def split_keys(models: Models, page: int = 1000) -> int:
    """Tallies an earlier release stored with their key inside: the key moves to `tally_keys`, in _id
    order, each under an _id led by its kind and level; a start-up stopped half way goes on where it
    stopped. Idempotent; returns the tallies split."""
    if models.tallies.find_one({"kind": {"$exists": True}}, {"_id": 1}) is None:  # one scan a start
        return 0
    done, after = 0, ""
    while True:
        found = list(models.tallies.find({"_id": {"$gt": after}, "kind": {"$exists": True}}).sort("_id", 1).limit(page))
        if not found:
            return done
        renamed = {doc["_id"]: doc["_id"] if "|" in doc["_id"] else f"{doc['kind']}|{doc['level']}|{doc['_id']}"
                   for doc in found}  # the earlier _id was the hash alone
        models.tally_keys.bulk_write([ReplaceOne({"_id": renamed[doc["_id"]]}, {"_id": renamed[doc["_id"]], **{
            f: doc.get(f) for f in KEY_FIELDS}}, upsert=True) for doc in found], ordered=False)
        models.tallies.bulk_write([ReplaceOne({"_id": renamed[doc["_id"]]}, {
            "_id": renamed[doc["_id"]], **{f: v for f, v in doc.items() if f in SUMS}}, upsert=True)
            for doc in found], ordered=False)
        models.tallies.delete_many({"_id": {"$in": [old for old, new in renamed.items() if old != new]}})
        done, after = done + len(found), found[-1]["_id"]


def live(db, session=None) -> Models:
    pointer = batching.get(db, session, POINTER, "live")  # read once a batch
    return Models(db, pointer["prefix"] if pointer else FIRST_PREFIX)


def building(db, session=None) -> Models | None:
    pointer = batching.get(db, session, POINTER, "building")
    return Models(db, pointer["prefix"]) if pointer else None


def save(models: Models, collection: str, before: dict | None, after: dict, contributions: dict, session) -> None:
    """Store a record and move its tallies from what it added before to what it adds now."""
    old = loaded(before.get("contrib")) if before else {}
    old_dims, new_dims = (dims_of(before) if before else None), dims_of(after)
    after["contrib"] = stored(contributions)
    if old_dims == new_dims:
        changes = [(new_dims, key, _minus(contributions.get(key, [0, 0, 0]), old.get(key, [0, 0, 0])))
                   for key in set(old) | set(contributions)]
    else:
        changes = ([(old_dims, key, _minus([0, 0, 0], cell)) for key, cell in old.items()]
                   + [(new_dims, key, cell) for key, cell in contributions.items()])
    updates: dict = {}
    for dims, key, cell in changes:
        if any(cell):
            for level in levels_of(key[0]):
                _bump(updates, level, dims, key, cell)
    # Folded: one record write, and one journal document for this record or the consumer's whole batch.
    with batching.folding(models.db, session):
        models.replace(collection, after, session)
        for ident, update in updates.items():
            batching.inc(models.db, session, models.prefix + "tallies", ident, update["$inc"],
                         described=(models.prefix + "tally_keys", {"_id": ident, **update["key"]}),
                         journal=models.prefix + JOURNAL)


def compact(models: Models) -> int:
    """Add the journaled tally sums into `tallies`: reports then read every batch committed before."""
    return batching.compact(models.db, models.prefix + JOURNAL)


SUMS = ("n", "amount", "secs", "dn", "da", "ds")


def tallies(models: Models, match: dict, fields) -> list[dict]:
    """The tallies whose key (kind, level, dimensions) matches `match`: their key's and their sums'
    `fields` in one document each, as reports read them; sums still in the journal are added in,
    read in the same snapshot (a reader never writes, so never waits on a compaction)."""
    key_fields = {f: 1 for f in fields if f not in SUMS}
    wanted = {f: 1 for f in fields if f in SUMS}
    if models.db[models.prefix + JOURNAL].find_one({}, {"_id": 1}) is None:  # compacted: no snapshot needed
        return _read(models, match, key_fields, wanted, None)
    return mongo.in_transaction(models.db.client, lambda session: _read(models, match, key_fields, wanted, session))


def _read(models: Models, match: dict, key_fields: dict, wanted: dict, session) -> list[dict]:
    keys = {k["_id"]: k for k in models.tally_keys.find(match, key_fields, session=session)}
    group = f"{match['kind']}|{match['level']}" if {"kind", "level"} <= set(match) else None  # as `_bump` names them
    pending = batching.journaled(models.db, models.prefix + JOURNAL, session, group) if session is not None else {}
    for ident, (_, described) in pending.items():
        if ident not in keys and described is not None and _matches(described, match):
            keys[ident] = {f: v for f, v in described.items() if f == "_id" or f in key_fields}
    ids, sums = list(keys), {}
    for first in range(0, len(ids), IN_CHUNK):
        sums.update((doc["_id"], doc) for doc in models.tallies.find(
            {"_id": {"$in": ids[first:first + IN_CHUNK]}}, wanted, session=session))
    out = []
    for ident, key in keys.items():
        doc = sums.get(ident, {})
        if ident in pending:
            doc = _plus(doc, pending[ident][0], wanted)
        out.append({**doc, **key})
    return out


def _plus(doc: dict, inc: dict, wanted: dict) -> dict:
    """A tally's stored sums with journaled increments added, as `$inc` would (fields may be dotted)."""
    doc = {**doc, **{f: dict(v) for f, v in doc.items() if isinstance(v, dict)}}
    for field, value in inc.items():
        top, _, sub = field.partition(".")
        if top not in wanted:
            continue
        if sub:
            doc.setdefault(top, {})[sub] = doc.get(top, {}).get(sub, 0) + value
        else:
            doc[top] = doc.get(top, 0) + value
    return doc


def _matches(key: dict, match: dict) -> bool:
    """`match` as MongoDB applies it to a tally's key: equality, where an array field holding the
    value matches too, and `$all`. Reports ask nothing else of the keys."""
    for field, wanted in match.items():
        value = key.get(field)
        if isinstance(wanted, dict):
            if set(wanted) != {"$all"}:
                raise ValueError(f"tally keys are matched by equality or $all, not {wanted}")
            if not isinstance(value, list) or not all(w in value for w in wanted["$all"]):
                return False
        elif isinstance(value, list) and not isinstance(wanted, list):
            if wanted not in value:
                return False
        elif value != wanted:
            return False
    return True


# Sums are fetched a hundred ids at a time: a long $in costs more than its length on some servers
# (SecantusDB: 1,500 ids 1.6 s, 200 ids 39 ms); an _id range of a kind and level measured slower still.
IN_CHUNK = 100


def rollup(dims: dict, level: int) -> dict:
    """Level 0: owner, department, channel, campaign; 1: owner and department; 2: department only."""
    if level == 0:
        return dims
    return {**dims, "channel": None, "campaign": None, **({"owner_id": None} if level == 2 else {})}


def _minus(a, b):
    return [x - y for x, y in zip(a, b)]


def _bump(updates: dict, level: int, dims: dict, key: tuple, cell: list) -> None:
    """One tally document per level, dimensions, kind and key: its all-time sums, and per local day
    (maps dn, da, ds) for keys that have a day, so a report reads one document per combination."""
    kind, *parts, on = key
    dims = rollup(dims, level)
    ident = f"{kind}|{level}|" + hashlib.sha1(json.dumps([level, dims, kind, parts], default=str).encode()).hexdigest()
    update = updates.setdefault(ident, {"$inc": {}, "key": {**dims, "level": level, "kind": kind, "k": parts}})
    fields = [("n", cell[0]), ("amount", cell[1]), ("secs", cell[2])]
    if on is not None:
        fields += [(f"d{f[0]}.{on}", value) for f, value in fields]
    for field, value in fields:
        if value:
            update["$inc"][field] = update["$inc"].get(field, 0) + value

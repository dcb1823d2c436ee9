"""Writes folded over a batch: what reaches the database, and when (a recording stand-in for it)."""
from datetime import datetime, timezone
from types import SimpleNamespace

import bson
import pytest
from bson.codec_options import CodecOptions

from crm_common import batching


class Collection:
    codec_options = CodecOptions(tz_aware=True, tzinfo=timezone.utc)

    def __init__(self, name, log, stored=None):
        self.name, self.log, self.stored = name, log, stored if stored is not None else {}

    def find_one(self, query, session):
        self.log.append(("find_one", self.name, query["_id"], session))
        return self.stored.get(query["_id"])

    def find(self, query=None, session=None):
        self.log.append(("find", self.name, query, session))
        if not query:
            return list(self.stored.values())
        (field, value), = query.items()
        if isinstance(value, dict):  # {"$in": ids}
            return [self.stored[_id] for _id in value["$in"] if _id in self.stored]
        return [doc for doc in self.stored.values() if doc.get(field) == value]

    def bulk_write(self, requests, ordered, session):
        self.log.append(("bulk_write", self.name, [(r._filter["_id"], r._doc) for r in requests], session))
        created = {i: r._filter["_id"] for i, r in enumerate(requests) if r._filter["_id"] not in self.stored}
        self.stored.update({_id: {"_id": _id} for _id in created.values()})
        return SimpleNamespace(upserted_ids=created)

    def update_one(self, query, update, upsert, session):
        self.log.append(("update_one", self.name, [(query["_id"], update)], session))
        created = query["_id"] not in self.stored
        self.stored.setdefault(query["_id"], {"_id": query["_id"]})
        return SimpleNamespace(upserted_id=query["_id"] if created else None)

    def insert_many(self, docs, ordered, session):
        self.log.append(("insert_many", self.name, [doc["_id"] for doc in docs], session))
        self.stored.update({doc["_id"]: doc for doc in docs})


class Database:
    name = "crm_reporting"

    def __init__(self, stored=None):
        self.log, self.stored = [], stored or {}

    def __getitem__(self, name):
        return Collection(name, self.log, self.stored.setdefault(name, {}))


SESSION = object()


def test_a_batch_writes_each_counter_document_once_with_the_sums():
    db = Database()
    with batching.folding(db, SESSION):
        for day in ("d1", "d1", "d2"):
            batching.inc(db, SESSION, "tallies", "fu-rep-a", {"n": 1, f"dn.{day}": 1},
                         set_on_insert={"kind": "fu", "owner_id": "rep-a"})
        batching.inc(db, SESSION, "tallies", "won-rep-a", {"n": 1, "amount": 5000})
        batching.inc(db, SESSION, "tallies", "won-rep-a", {"n": -1, "amount": -5000})
        assert db.log == []  # nothing written before the batch ends
    assert db.log == [("bulk_write", "tallies", [
        ("fu-rep-a", {"$inc": {"n": 3, "dn.d1": 2, "dn.d2": 1}, "$setOnInsert": {"kind": "fu", "owner_id": "rep-a"}}),
        ("won-rep-a", {"$inc": {"n": 0, "amount": 0}}),  # a sum of zero still makes the row, as unfolded
    ], SESSION)]


def test_set_wins_over_earlier_sums_and_set_on_insert_keeps_the_first_value():
    db = Database()
    with batching.folding(db, SESSION):
        batching.inc(db, SESSION, "c", 1, {"n": 2, "m": 1}, set_on_insert={"first": "a", "label": "x"})
        batching.inc(db, SESSION, "c", 1, {}, set={"n": 10, "label": "y"}, set_on_insert={"first": "b"})
        batching.inc(db, SESSION, "c", 1, {"n": 1})
    # n: set to 10 after +2, then +1 -> 11, as three single writes would leave it; label is set, so never
    # also set on insert (a set wins whether or not the document existed)
    assert db.log[0][2] == [(1, {"$inc": {"m": 1}, "$set": {"n": 11, "label": "y"}, "$setOnInsert": {"first": "a"}})]


def test_one_bulk_write_per_collection():
    db = Database()
    with batching.folding(db, SESSION):
        batching.inc(db, SESSION, "v1_tallies", "a", {"n": 1})
        batching.inc(db, SESSION, "counters", "a", {"n": 1})
        batching.inc(db, SESSION, "v1_tallies", "b", {"n": 1})
    assert [(op, name, [i for i, _ in docs]) for op, name, docs, _ in db.log] == [
        ("bulk_write", "v1_tallies", ["a", "b"]), ("bulk_write", "counters", ["a"])]


def test_a_batch_that_fails_writes_nothing_and_the_next_starts_clean():
    db = Database()
    with pytest.raises(RuntimeError), batching.folding(db, SESSION):
        batching.inc(db, SESSION, "tallies", "a", {"n": 1})
        raise RuntimeError("handler failed")
    assert db.log == []
    with batching.folding(db, SESSION):
        batching.inc(db, SESSION, "tallies", "a", {"n": 2})
    assert db.log[0][2] == [("a", {"$inc": {"n": 2}})]


def test_an_inner_batch_joins_the_outer_one():
    db = Database()
    with batching.folding(db, SESSION):
        for _ in range(2):
            with batching.folding(db, SESSION):  # as store.save folds one record's tallies
                batching.inc(db, SESSION, "tallies", "a", {"n": 1})
        assert db.log == []
    assert db.log == [("bulk_write", "tallies", [("a", {"$inc": {"n": 2}})], SESSION)]


def test_outside_a_batch_or_in_another_session_a_counter_is_written_at_once():
    db, other = Database(), object()
    batching.inc(db, SESSION, "tallies", "a", {"n": 1}, set_on_insert={"kind": "fu"})
    with batching.folding(db, SESSION):
        batching.inc(db, other, "tallies", "b", {"n": 1})
    assert db.log == [("update_one", "tallies", [("a", {"$inc": {"n": 1}, "$setOnInsert": {"kind": "fu"}})], SESSION),
                      ("update_one", "tallies", [("b", {"$inc": {"n": 1}})], other)]


def test_flush_writes_what_is_pending_and_the_batch_goes_on():
    db = Database()
    with batching.folding(db, SESSION):
        batching.inc(db, SESSION, "tallies", "a", {"n": 1})
        batching.flush(db, SESSION)
        assert len(db.log) == 1
        batching.inc(db, SESSION, "tallies", "a", {"n": 1})
    assert [docs for _, _, docs, _ in db.log] == [[("a", {"$inc": {"n": 1}})], [("a", {"$inc": {"n": 1}})]]


def test_a_record_replaced_in_a_batch_is_read_back_from_memory_as_the_database_would_return_it():
    db = Database({"customers": {"C1": {"_id": "C1", "stage": "lead_acquired", "owner_id": "rep-a"}}})
    at = datetime(2026, 6, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    with batching.folding(db, SESSION):
        first = batching.get(db, SESSION, "customers", "C1")
        batching.replace(db, SESSION, "customers", {**first, "stage": "proposal", "at": at, "path": ("d1",)})
        again = batching.get(db, SESSION, "customers", "C1")
        again["stage"] = "changed by the caller"  # a copy: the batch's record stays as replaced
        last = batching.get(db, SESSION, "customers", "C1")
        assert [entry[0] for entry in db.log] == ["find_one"]  # read once, the rest from memory
    # as BSON keeps it: milliseconds, a list
    expected = {"_id": "C1", "stage": "proposal", "owner_id": "rep-a", "at": at.replace(microsecond=123000),
                "path": ["d1"]}
    assert last == expected
    assert db.log[1:] == [("bulk_write", "customers", [("C1", expected)], SESSION)]  # written once, whole


def test_find_sees_the_batch_s_records_over_the_database_s():
    db = Database({"others": {"lead:1": {"_id": "lead:1", "owner_id": "rep-a"},
                              "lead:2": {"_id": "lead:2", "owner_id": "rep-a"}}})
    with batching.folding(db, SESSION):
        batching.replace(db, SESSION, "others", {"_id": "lead:2", "owner_id": "rep-b"})  # moved away
        batching.replace(db, SESSION, "others", {"_id": "lead:3", "owner_id": "rep-a"})  # new in this batch
        found = batching.find(db, SESSION, "others", "owner_id", "rep-a")
    assert sorted(doc["_id"] for doc in found) == ["lead:1", "lead:3"]


def test_a_counter_is_described_once_when_it_is_created_folded_or_not():
    db = Database({"tallies": {"old": {"_id": "old"}}})
    with batching.folding(db, SESSION):
        for ident in ("new", "new", "old"):
            batching.inc(db, SESSION, "tallies", ident, {"n": 1},
                         described=("tally_keys", {"_id": ident, "kind": "fu"}))
    batching.inc(db, SESSION, "tallies", "new", {"n": 1}, described=("tally_keys", {"_id": "new", "kind": "fu"}))
    batching.inc(db, SESSION, "tallies", "alone", {"n": 1}, described=("tally_keys", {"_id": "alone", "kind": "fu"}))
    # the counter that existed, and the one created by the batch written again later, get no second description
    assert [(op, name, ids if op == "insert_many" else [i for i, _ in ids]) for op, name, ids, _ in db.log] == [
        ("bulk_write", "tallies", ["new", "old"]), ("insert_many", "tally_keys", ["new"]),
        ("update_one", "tallies", ["new"]), ("update_one", "tallies", ["alone"]), ("insert_many", "tally_keys", ["alone"])]


def test_a_journaled_counter_s_batch_is_one_journal_document_and_no_counter_write():
    db = Database()
    with batching.folding(db, SESSION):
        for day in ("d1", "d1", "d2"):
            batching.inc(db, SESSION, "tallies", "fu|1|a", {"n": 1, f"dn.{day}": 1},
                         described=("tally_keys", {"_id": "fu|1|a", "kind": "fu"}), journal="tally_journal")
        batching.inc(db, SESSION, "tallies", "won|1|a", {"n": 1}, journal="tally_journal")
        with pytest.raises(ValueError):  # a journal only adds
            batching.inc(db, SESSION, "tallies", "x", {}, set={"n": 1}, journal="tally_journal")
    assert [(op, name) for op, name, *_ in db.log] == [("insert_many", "tally_journal")]
    (entry,) = db.stored["tally_journal"].values()
    assert entry["into"] == "tallies" and {name: bson.decode(raw)["sums"] for name, raw in entry["groups"].items()} == {
        "fu|1": [["fu|1|a", [["n", 3], ["dn.d1", 2], ["dn.d2", 1]]]], "won|1": [["won|1|a", [["n", 1]]]]}
    # what a reader adds in before compaction: sums per counter, with the counter's description
    assert batching.journaled(db, "tally_journal", SESSION) == {
        "fu|1|a": ({"n": 3, "dn.d1": 2, "dn.d2": 1}, {"_id": "fu|1|a", "kind": "fu"}), "won|1|a": ({"n": 1}, None)}
    assert list(batching.journaled(db, "tally_journal", SESSION, "won|1")) == ["won|1|a"]  # one group decoded


def test_a_batch_reads_the_records_its_events_name_at_once_and_each_other_one_when_asked():
    db = Database({"customers": {"C1": {"_id": "C1"}, "C2": {"_id": "C2"}, "C9": {"_id": "C9"}}})
    events = [{"data": {"customer_id": c}} for c in ("C1", "C2", "C1", "C3")]
    with batching.folding(db, SESSION, events):
        for _id in ("C1", "C2", "C3", "C9"):
            batching.prefetch(db, SESSION, "customers", lambda batch: [e["data"]["customer_id"] for e in batch])
            batching.get(db, SESSION, "customers", _id)
    assert [(op, query) for op, _, query, _ in db.log] == [
        ("find", {"_id": {"$in": ["C1", "C2", "C3"]}}), ("find_one", "C9")]  # C3 is known absent

"""Counters folded over a batch: what reaches the database, and when (a recording stand-in for it)."""
import pytest

from crm_common import batching


class Collection:
    def __init__(self, name, log):
        self.name, self.log = name, log

    def bulk_write(self, requests, ordered, session):
        self.log.append(("bulk_write", self.name, [(r._filter["_id"], r._doc) for r in requests], session))

    def update_one(self, query, update, upsert, session):
        self.log.append(("update_one", self.name, [(query["_id"], update)], session))


class Database:
    name = "crm_reporting"

    def __init__(self):
        self.log = []

    def __getitem__(self, name):
        return Collection(name, self.log)


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

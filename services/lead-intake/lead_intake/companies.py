"""Company records for the possible-duplicate check, and each process's in-memory copy.

The exact company-key match is asked of MongoDB on every submission. The fuzzy
same-city match needs every company key of the city, which costs a document
fetch each; so every process keeps the keys in memory, loaded once and then
caught up with what any process wrote, by `written_at` (indexed), at most once
per REFRESH_SECONDS. A company another process stored under a second ago may
therefore be missed as a *possible* duplicate (advisory, for human review);
exact duplicates are decided by unique keys in MongoDB and never by this copy.
Removed records stay as tombstones so every copy learns of the removal.
"""
from __future__ import annotations

import sys
import threading
import time
from datetime import timedelta

from crm_common.clock import utcnow

from .dedup import Record

REFRESH_SECONDS = 1.0
# Re-read this far back on each refresh: a write stamped earlier may commit a little later
# (transactions are short, and a retried one stamps its write again).
OVERLAP = timedelta(seconds=2)


def document(kind: str, record_id: str, company_key: str, city: str | None) -> dict:
    """What storage keeps to find a record's company by key, or by similar name in its city."""
    return {"_id": f"{kind}:{record_id}", "kind": kind, "record_id": record_id, "company_key": company_key,
            "key_length": len(company_key), "city": city, "written_at": utcnow(), "removed": False}


def store(db, session, kind: str, record_id: str, company_key: str, city: str | None) -> None:
    """Keep (or replace) a lead's or customer's company record."""
    doc = document(kind, record_id, company_key, city)
    db.companies.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)


def remove(db, session, kind: str, record_id: str) -> None:
    """A merged lead or a deleted customer is no candidate any more."""
    db.companies.update_one({"_id": f"{kind}:{record_id}"},
                            {"$set": {"removed": True, "written_at": utcnow()}}, session=session)


def same_key(db, company_key: str, limit: int = 20) -> list[Record]:
    found = db.companies.find({"company_key": company_key}).limit(limit * 2)
    return [Record(c["kind"], c["record_id"]) for c in found if not c.get("removed")][:limit]


def same_city(rt, city: str, shortest: int, longest: int) -> list[tuple[Record, str]]:
    """Records of the city whose key length is in the window: from memory, or MongoDB while that loads."""
    found = keys_of(rt).same_city(city, shortest, longest)
    if found is not None:
        return found
    return [(Record(c["kind"], c["record_id"]), c["company_key"]) for c in rt.db.companies.find(
        {"city": city, "key_length": {"$gte": shortest, "$lte": longest}},
        {"kind": 1, "record_id": 1, "company_key": 1, "removed": 1}) if not c.get("removed")]


class CompanyKeys:
    """One process's copy of the company keys by city; loaded in the background on first use."""

    def __init__(self, db):
        self.db = db
        self.by_city: dict[str, dict[str, tuple[int, str, Record]]] = {}
        self.city_of: dict[str, str] = {}
        self.seen_until = None     # the newest written_at read so far
        self.refreshed_at = 0.0    # time.monotonic() of the last refresh
        self.lock = threading.Lock()
        self.loading: threading.Thread | None = None
        self.loaded = threading.Event()

    def same_city(self, city: str, shortest: int, longest: int) -> list[tuple[Record, str]] | None:
        """The city's records with a key length in the window; None until the first load is done."""
        if not self.loaded.is_set():
            self.start_loading()
            return None
        self._catch_up()
        return [(record, key) for length, key, record in self.by_city.get(city, {}).values()
                if shortest <= length <= longest]

    def remember(self, kind: str, record_id: str, company_key: str, city: str | None) -> None:
        """A record this process just committed: seen here at once, before any refresh."""
        if company_key:
            self._apply({"_id": f"{kind}:{record_id}", "kind": kind, "record_id": record_id,
                         "company_key": company_key, "city": city})

    def start_loading(self) -> None:
        with self.lock:
            if self.loading is None:
                self.loading = threading.Thread(target=self._load, name="company-keys", daemon=True)
                self.loading.start()

    def _load(self) -> None:
        with self.lock:
            self._read({})
        self.loaded.set()

    def _catch_up(self) -> None:
        if time.monotonic() - self.refreshed_at < REFRESH_SECONDS:
            return
        with self.lock:
            if time.monotonic() - self.refreshed_at < REFRESH_SECONDS:
                return  # another thread of this process just did it
            self._read({"written_at": {"$gte": self.seen_until - OVERLAP}} if self.seen_until else {})

    def _read(self, query: dict) -> None:
        for doc in self.db.companies.find(query, {"kind": 1, "record_id": 1, "company_key": 1, "city": 1,
                                                  "removed": 1, "written_at": 1}):
            self._apply(doc)
        self.refreshed_at = time.monotonic()

    def _apply(self, doc: dict) -> None:
        old_city = self.city_of.pop(doc["_id"], None)
        if old_city is not None:
            self.by_city[old_city].pop(doc["_id"], None)
        if not doc.get("removed") and doc.get("city"):
            key, city = doc["company_key"], sys.intern(doc["city"])  # one string per city, not per record
            record = Record(sys.intern(doc["kind"]), doc["record_id"])
            self.by_city.setdefault(city, {})[doc["_id"]] = (len(key), key, record)
            self.city_of[doc["_id"]] = city
        written = doc.get("written_at")
        if written is not None and (self.seen_until is None or written > self.seen_until):
            self.seen_until = written


def keys_of(rt) -> CompanyKeys:
    """This process's copy, made on first use."""
    if getattr(rt, "company_keys", None) is None:
        rt.company_keys = CompanyKeys(rt.db)
    return rt.company_keys

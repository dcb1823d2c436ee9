"""Clean state between tests."""
from __future__ import annotations

from kafka import KafkaAdminClient
from pymongo import MongoClient

from crm_common import ratelimit

INTERNAL_DATABASES = {"admin", "local", "config"}


def clean_databases(mongo_uri: str) -> None:
    """Empty every collection of every application database, keeping the indexes (and forget the
    rate-limit slots this process leased: their counters are gone)."""
    ratelimit.forget()
    client = MongoClient(mongo_uri)
    try:
        for name in client.list_database_names():
            if name in INTERNAL_DATABASES:
                continue
            db = client[name]
            for collection in _non_empty(db):
                db[collection].delete_many({})
    finally:
        client.close()


def _non_empty(db) -> list[str]:
    """The collections of `db` holding a document, asked in one query: a test writes into a few of
    the six services' some 80 collections, and a delete of each would be a call apiece."""
    names = db.list_collection_names()
    if not names:
        return []
    def first(name):
        return [{"$limit": 1}, {"$project": {"_id": 0, "name": {"$literal": name}}}]
    pipeline = first(names[0]) + [{"$unionWith": {"coll": name, "pipeline": first(name)}} for name in names[1:]]
    return [row["name"] for row in db[names[0]].aggregate(pipeline)]


def delete_topics(bootstrap: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        topics = [t for t in admin.list_topics() if not t.startswith("__")]
        if topics:
            admin.delete_topics(topics)
    finally:
        admin.close()


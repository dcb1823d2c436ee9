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
            for collection in db.list_collection_names():
                db[collection].delete_many({})
    finally:
        client.close()


def delete_topics(bootstrap: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        topics = [t for t in admin.list_topics() if not t.startswith("__")]
        if topics:
            admin.delete_topics(topics)
    finally:
        admin.close()


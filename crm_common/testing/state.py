"""Clean state between tests, and reading what landed on a topic."""
from __future__ import annotations

import json
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
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


def read_topic(bootstrap: str, topic: str, *, expect: int, timeout: float = 10.0) -> list:
    """Every message on `topic` from the start, waiting until at least `expect` arrived."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=500)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        messages, deadline = [], time.monotonic() + timeout
        while len(messages) < expect and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                messages.extend(records)
        return messages
    finally:
        consumer.close()


def events_of(messages) -> list[dict]:
    return [json.loads(m.value) for m in messages]

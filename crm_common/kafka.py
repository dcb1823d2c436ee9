"""Kafka clients built from settings, and topic creation."""
from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from .events import TOPICS, dead_letter_topic

log = logging.getLogger(__name__)

# Consumer groups join in seconds, not the 20 s the library defaults give.
CONSUMER_TIMEOUTS = dict(session_timeout_ms=6000, heartbeat_interval_ms=1000)


def producer(settings) -> KafkaProducer:
    """The idempotent producer: acks from all in-sync replicas, no duplicates on retry."""
    # Short timeouts: while the broker is down the outbox keeps the events, and the relay's
    # next run tries again, so waiting long here would only stall the worker's other jobs.
    return KafkaProducer(
        bootstrap_servers=settings.kafka_servers, acks="all", enable_idempotence=True,
        linger_ms=5, retries=5, max_in_flight_requests_per_connection=5,
        bootstrap_timeout_ms=5000, max_block_ms=10000, request_timeout_ms=10000, delivery_timeout_ms=20000,
    )


def admin(settings, *, wait_seconds: float = 30.0) -> KafkaAdminClient:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return KafkaAdminClient(bootstrap_servers=settings.kafka_servers, request_timeout_ms=5000)
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for Kafka at %s: %s", settings.kafka_bootstrap_servers, exc)
            time.sleep(0.5)


def ensure_topics(settings, topics=TOPICS) -> None:
    """Create each topic and its dead-letter topic if missing (safe to call from every replica)."""
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        wanted = []
        for topic in topics:
            wanted += [topic, dead_letter_topic(topic)]
        for name in wanted:
            if name in existing:
                continue
            try:
                client.create_topics([NewTopic(name, settings.kafka_topic_partitions,
                                               settings.kafka_replication_factor)])
            except TopicAlreadyExistsError:
                pass  # another replica won the race
    finally:
        client.close()


def reachable(settings) -> bool:
    try:
        client = KafkaAdminClient(bootstrap_servers=settings.kafka_servers, request_timeout_ms=2000)
    except KafkaError:
        return False
    try:
        client.list_topics()
        return True
    except KafkaError:
        return False
    finally:
        client.close()

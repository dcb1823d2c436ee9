"""Kafka clients built from settings, and topic creation."""
from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaConfigurationError, KafkaError, TopicAlreadyExistsError

from . import topics as declared
from .events import TOPICS, dead_letter_topic

log = logging.getLogger(__name__)

# Consumer groups join in seconds, not the 20 s the library defaults give.
CONSUMER_TIMEOUTS = dict(session_timeout_ms=6000, heartbeat_interval_ms=1000)


def producer(settings) -> KafkaProducer:
    """The idempotent producer: acks from all in-sync replicas, no duplicates on retry."""
    # Short timeouts: while the broker is down the outbox keeps the events, and the relay's
    # next run tries again, so waiting long here would only stall the worker's other jobs.
    common = dict(**settings.kafka_client(), acks="all", linger_ms=5, retries=5,
                  allow_auto_create_topics=False, bootstrap_timeout_ms=5000, max_block_ms=10000,
                  request_timeout_ms=10000, delivery_timeout_ms=20000)
    try:
        return KafkaProducer(enable_idempotence=True, max_in_flight_requests_per_connection=5, **common)
    except KafkaConfigurationError as exc:  # a broker older than 0.11 has no producer ids
        # One request in flight keeps each partition's order through retries; a retry may then
        # duplicate an event, which the consumers' version guard drops.
        log.warning("the broker refuses an idempotent producer (%s); publishing without idempotence", exc)
        return KafkaProducer(enable_idempotence=False, max_in_flight_requests_per_connection=1, **common)


def admin(settings, *, wait_seconds: float = 30.0) -> KafkaAdminClient:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return KafkaAdminClient(**settings.kafka_client(), request_timeout_ms=5000,
                                    bootstrap_timeout_ms=5000)
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for Kafka at %s: %s", settings.kafka_bootstrap_servers, exc)
            time.sleep(0.5)


# Topics keep their events forever: with each service's event log (the outbox) this is what
# lets a new consumer group, or a rebuilt read model, start from the first event.
def topic_config(settings, retention_ms: int = declared.FOREVER) -> dict:
    """What a created topic is configured with. With replicas, an ack (acks=all) needs
    `min.insync.replicas` of them, so an acked event survives a broker lost; a single
    broker could never satisfy more than one, so it gets none."""
    config = {"retention.ms": str(retention_ms)}
    if settings.kafka_replication_factor <= 1:
        return config
    return {**config, "min.insync.replicas": str(settings.kafka_min_insync_replicas)}


def new_topic(settings, name: str) -> NewTopic:
    """A missing topic as the one list (crm_common/topics.py) declares it: its partitions (unless
    KAFKA_TOPIC_PARTITIONS says otherwise for this deployment) and retention. Replication is the
    deployment's: KAFKA_REPLICATION_FACTOR."""
    spec = declared.spec(name)
    if name == marker_topic(settings.service):
        partitions = 1
    else:
        partitions = settings.kafka_topic_partitions or (spec["partitions"] if spec else DEFAULT_PARTITIONS)
    retention = spec["retention_ms"] if spec else declared.FOREVER
    return NewTopic(name, partitions, settings.kafka_replication_factor,
                    topic_configs=topic_config(settings, retention))


DEFAULT_PARTITIONS = 6  # a topic not in the list: none today, a test keeps every topic declared


def marker_topic(service: str) -> str:
    """An empty topic only this service's workers create: a broker without it has lost its state."""
    return f"crm.epoch.{service}"


def wanted_topics(settings, topics=TOPICS, with_marker: bool = True) -> list[str]:
    names = [marker_topic(settings.service)] if with_marker else []
    for topic in topics:
        names += [topic, dead_letter_topic(topic)]
    return names


def ensure_topics(settings, topics=TOPICS, client=None, with_marker: bool = True) -> list[str]:
    """Create missing topics, their dead-letter topics and the marker; returns what was created.

    Safe from every replica. Auto-creation is off in every client, so nothing else makes a topic
    with the broker's default partition count.
    """
    own = client is None
    client = client or admin(settings)
    try:
        existing = set(client.list_topics())
        created = []
        for name in wanted_topics(settings, topics, with_marker):
            if name in existing:
                continue
            try:
                client.create_topics([new_topic(settings, name)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another replica won the race
        if created:
            log.info("created topics %s", created)
        return created
    finally:
        if own:
            client.close()


class BrokerWatch:
    """Keeps the topics in place and tells when the broker came back without what it held."""

    def __init__(self, settings, wait_seconds: float = 0.0):
        self.settings, self.client, self.wait_seconds = settings, None, wait_seconds

    def check(self) -> bool:
        """True when the broker lost its state (the marker topic is gone): time to publish the log again,
        then `mark()`. The marker is made only after the log is queued again: made first, a failure to
        queue it (the database restarting at that moment) would leave the loss unseen for good."""
        if self.client is None:
            self.client = admin(self.settings, wait_seconds=self.wait_seconds)
        try:
            ensure_topics(self.settings, client=self.client, with_marker=False)
            return marker_topic(self.settings.service) not in set(self.client.list_topics())
        except Exception:
            self.close()  # a broker that restarted needs a new connection
            raise

    def mark(self) -> None:
        ensure_topics(self.settings, client=self.client)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None


def reachable(settings) -> bool:
    try:
        client = KafkaAdminClient(**settings.kafka_client(), request_timeout_ms=2000)
    except KafkaError:
        return False
    try:
        client.list_topics()
        return True
    except KafkaError:
        return False
    finally:
        client.close()

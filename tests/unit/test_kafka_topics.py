"""Topics a worker creates are as durable as the cluster allows: replicated, and acked only once in sync."""
from crm_common import kafka
from crm_common.settings import Settings


class RecordingAdmin:
    """Stands in for the admin client: it keeps the topics it is asked to create."""

    def __init__(self, existing=()):
        self.created = {name: None for name in existing}

    def list_topics(self):
        return list(self.created)

    def create_topics(self, topics):
        for topic in topics:
            self.created[topic.name] = topic


def created(**environ):
    admin = RecordingAdmin()
    settings = Settings.from_env("pool", {"CRM_ENV": "dev", **environ})
    kafka.ensure_topics(settings, topics=["crm.pool"], client=admin)
    return admin.created


def test_on_a_cluster_topics_have_three_replicas_and_acks_need_two():
    topics = created(KAFKA_TOPIC_PARTITIONS="12")
    assert set(topics) == {"crm.epoch.pool", "crm.pool", "crm.pool.dlq"}
    pool = topics["crm.pool"]
    assert (pool.num_partitions, pool.replication_factor) == (12, 3)
    assert pool.topic_configs == {"retention.ms": "-1", "min.insync.replicas": "2"}
    assert topics["crm.pool.dlq"].topic_configs["min.insync.replicas"] == "2"
    marker = topics["crm.epoch.pool"]
    assert (marker.num_partitions, marker.replication_factor) == (1, 3)


def test_the_configured_in_sync_replicas_are_what_topics_get():
    pool = created(KAFKA_REPLICATION_FACTOR="5", KAFKA_MIN_INSYNC_REPLICAS="3")["crm.pool"]
    assert (pool.replication_factor, pool.topic_configs["min.insync.replicas"]) == (5, "3")


def test_a_single_broker_gets_one_replica_and_no_in_sync_demand_it_could_never_meet():
    pool = created(KAFKA_REPLICATION_FACTOR="1")["crm.pool"]
    assert pool.replication_factor == 1 and pool.topic_configs == {"retention.ms": "-1"}


def test_topics_that_exist_are_left_as_they_are():
    admin = RecordingAdmin(existing=["crm.pool"])
    settings = Settings.from_env("pool", {"CRM_ENV": "dev"})
    assert kafka.ensure_topics(settings, topics=["crm.pool"], client=admin) == ["crm.epoch.pool", "crm.pool.dlq"]
    assert admin.created["crm.pool"] is None


def test_a_missing_topic_gets_the_partitions_and_retention_the_one_list_declares():
    admin = RecordingAdmin()
    settings = Settings.from_env("notify", {"CRM_ENV": "dev"})
    kafka.ensure_topics(settings, topics=["crm.customers", "crm.pool"], client=admin)
    counts = {name: topic.num_partitions for name, topic in admin.created.items()}
    assert counts == {"crm.epoch.notify": 1, "crm.customers": 12, "crm.customers.dlq": 3,
                      "crm.pool": 6, "crm.pool.dlq": 3}
    assert admin.created["crm.customers"].topic_configs["retention.ms"] == "-1"

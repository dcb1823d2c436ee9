"""Settings come from the environment once; production refuses to start without its secrets."""
import dataclasses

import pytest

from crm_common.settings import Settings, SettingsError


def test_defaults_for_a_dev_machine():
    settings = Settings.from_env("lead-intake", {"CRM_ENV": "dev"})
    assert settings.env == "dev" and settings.is_dev
    assert settings.mongo_db == "crm_lead_intake"
    assert settings.mongo_uri == "mongodb://127.0.0.1:27017/?directConnection=true"
    assert settings.kafka_servers == ["127.0.0.1:9092"]
    assert settings.kafka_topic_partitions is None  # each topic's own count, from the one list
    # A real cluster's durability unless told otherwise: the local single broker is set to 1 where it is started.
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (3, 2)
    assert settings.jwt_ttl_seconds == 8 * 3600 and settings.log_level == "INFO"
    assert settings.jwt_secret and settings.worker_metrics_port is None


SECRET = "a-production-secret-of-at-least-32-bytes"


def test_values_are_taken_from_the_environment():
    settings = Settings.from_env("pool", {
        "CRM_ENV": "Prod", "JWT_SECRET": SECRET, "MONGO_URI": "mongodb://db:27017", "MONGO_DB": "pool_x",
        "KAFKA_BOOTSTRAP_SERVERS": "k1:9092, k2:9092,", "KAFKA_TOPIC_PARTITIONS": "12", "LOG_LEVEL": "debug",
        "WORKER_METRICS_PORT": "9100"})
    assert (settings.env, settings.is_dev, settings.jwt_secret) == ("prod", False, SECRET)
    assert (settings.mongo_uri, settings.mongo_db) == ("mongodb://db:27017", "pool_x")
    assert settings.kafka_servers == ["k1:9092", "k2:9092"]
    assert (settings.kafka_topic_partitions, settings.log_level, settings.worker_metrics_port) == (12, "DEBUG", 9100)


@pytest.mark.parametrize("replication, min_insync, expected", [
    ("1", "", 1), ("2", "", 1), ("3", "", 2), ("5", "", 2), ("5", "3", 3), ("3", "3", 3)])
def test_acks_need_two_in_sync_replicas_where_there_are_three(replication, min_insync, expected):
    settings = Settings.from_env("pool", {"CRM_ENV": "dev", "KAFKA_REPLICATION_FACTOR": replication,
                                          "KAFKA_MIN_INSYNC_REPLICAS": min_insync})
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (int(replication), expected)


@pytest.mark.parametrize("replication, min_insync, named", [
    ("0", "", "KAFKA_REPLICATION_FACTOR"), ("1", "2", "KAFKA_MIN_INSYNC_REPLICAS"),
    ("3", "0", "KAFKA_MIN_INSYNC_REPLICAS"), ("3", "two", "KAFKA_MIN_INSYNC_REPLICAS")])
def test_in_sync_replicas_that_no_cluster_could_give_are_refused_at_start(replication, min_insync, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env("pool", {"CRM_ENV": "dev", "KAFKA_REPLICATION_FACTOR": replication,
                                   "KAFKA_MIN_INSYNC_REPLICAS": min_insync})


def test_admin_commands_on_the_local_broker_create_topics_it_can_hold():
    local = Settings.for_tool("pool", {})
    assert local.kafka_servers == ["127.0.0.1:19092"] and local.kafka_replication_factor == 1
    cluster = Settings.for_tool("pool", {"KAFKA_BOOTSTRAP_SERVERS": "k1:9092"})
    assert (cluster.kafka_replication_factor, cluster.kafka_min_insync_replicas) == (3, 2)


def test_the_environment_is_read_once(monkeypatch):
    monkeypatch.setenv("CRM_ENV", "test")
    monkeypatch.setenv("MONGO_DB", "first")
    settings = Settings.from_env("pool")
    monkeypatch.setenv("MONGO_DB", "second")
    assert settings.mongo_db == "first"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.mongo_db = "second"


@pytest.mark.parametrize("environ", [{}, {"CRM_ENV": "prod"}, {"CRM_ENV": "staging", "JWT_SECRET": ""}])
def test_a_jwt_secret_is_required_outside_dev_and_test(environ):
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_env("customer", environ)


def test_dev_and_test_start_without_a_jwt_secret():
    assert Settings.from_env("customer", {"CRM_ENV": "test"}).jwt_secret
    assert Settings.from_env("customer", {"CRM_ENV": "dev", "JWT_SECRET": "mine"}).jwt_secret == "mine"


def test_the_admin_password_defaults_to_admin_only_in_dev():
    assert Settings.from_env("customer", {"CRM_ENV": "dev"}).admin_password == "admin"
    assert Settings.from_env("customer", {"CRM_ENV": "test"}).admin_password is None
    assert Settings.from_env("customer", {"CRM_ENV": "prod", "JWT_SECRET": SECRET}).admin_password is None
    chosen = Settings.from_env("customer", {"CRM_ENV": "prod", "JWT_SECRET": SECRET,
                                            "CRM_ADMIN_PASSWORD": "a-long-enough-password"})
    assert chosen.admin_password == "a-long-enough-password"


@pytest.mark.parametrize("environ, named", [
    ({"JWT_SECRET": "short"}, "JWT_SECRET"),
    ({"JWT_SECRET": "x" * 40, "CRM_ADMIN_PASSWORD": "admin"}, "CRM_ADMIN_PASSWORD"),
])
def test_production_refuses_to_start_with_weak_secrets(environ, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env("customer", {"CRM_ENV": "prod", **environ})


@pytest.mark.parametrize("name", ["KAFKA_TOPIC_PARTITIONS", "KAFKA_REPLICATION_FACTOR", "JWT_TTL_SECONDS",
                                  "WORKER_METRICS_PORT"])
def test_a_malformed_number_names_the_setting_and_the_value(name):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env("pool", {"CRM_ENV": "test", name: "six"})
    assert name in str(raised.value) and "'six'" in str(raised.value)


def test_an_empty_number_falls_back_to_its_default():
    assert Settings.from_env("pool", {"CRM_ENV": "test", "KAFKA_TOPIC_PARTITIONS": ""}).kafka_topic_partitions is None

"""One list of topics (crm_common/topics.py) covers every topic a worker reads or writes, and is what
the chart's KafkaTopics and topic Job, KEDA's limits and the compose file's topic step are made of."""
import importlib
import json
from types import SimpleNamespace

import pytest
import yaml

from crm_common import events, topics
from crm_common.service import worker_handlers
from crm_common.settings import Settings
from tests.deploy.chart import CHART, by_name, kind, refusal, render

PACKAGES = {"lead-intake": "lead_intake", "customer": "customer", "pool": "pool", "notify": "notify",
            "reporting": "reporting", "automation": "automation"}
DECLARED = {entry["name"]: entry for entry in topics.declared()}


def read_by(service: str) -> set[str]:
    """The topics a service's worker subscribes to, from its handlers as the consumer loop derives them."""
    spec = importlib.import_module(f"{PACKAGES[service]}.service").SPEC
    rt = SimpleNamespace(settings=Settings.from_env(service, {"CRM_ENV": "test"}), db=None)
    return {events.topic_for(event_type) for event_type in worker_handlers(spec, rt)}


@pytest.mark.parametrize("service", PACKAGES)
def test_every_topic_a_worker_reads_is_declared_with_it_as_a_reader(service):
    reads = read_by(service)
    assert reads and reads <= set(DECLARED)
    assert {name for name, entry in DECLARED.items() if service in entry["readers"]} == reads


def test_every_topic_an_event_is_written_to_and_its_dead_letters_are_declared():
    written = set(events.TOPIC_OF_AGGREGATE.values())
    assert written == set(events.TOPICS)
    assert set(DECLARED) == written | {events.dead_letter_topic(t) for t in written}
    for name in written:
        assert DECLARED[name]["dead_letters"] == events.dead_letter_topic(name)


def test_each_topic_keeps_its_events_and_survives_a_broker_lost():
    for entry in DECLARED.values():
        assert entry["retention_ms"] == -1, entry["name"]  # a rebuilt read model starts from the first event
        assert entry["replication"] >= 3 and 2 <= entry["min_insync_replicas"] < entry["replication"]


def test_the_charts_copy_is_the_list():
    assert (CHART / "topics.yaml").read_text() == topics.as_chart_file(), "run `make topics`"


def test_strimzi_kafka_topics_are_the_list(renders):
    made = by_name(renders["default-values.yaml"], "KafkaTopic")
    assert set(made) == set(DECLARED)
    for name, resource in made.items():
        entry = DECLARED[name]
        assert resource["spec"] == {"topicName": name, "partitions": entry["partitions"], "replicas": entry["replication"],
                                    "config": {"min.insync.replicas": entry["min_insync_replicas"],
                                               "retention.ms": entry["retention_ms"]}}
        assert resource["metadata"]["labels"]["strimzi.io/cluster"] == "crm-kafka"


def creation_lines(script: str) -> dict[str, str]:
    lines = [line.strip() for line in script.splitlines() if "kafka-topics.sh" in line]
    return {line.split("--topic ")[1].split()[0]: line for line in lines}


def expected_flags(entry: dict, replication: int, min_insync: int) -> list[str]:
    return [f"--partitions {entry['partitions']}", f"--replication-factor {replication}",
            f"--config min.insync.replicas={min_insync}", f"--config retention.ms={entry['retention_ms']}",
            "--create --if-not-exists"]


def test_the_topic_job_creates_the_list_when_strimzi_is_not_used(renders):
    docs = renders["dev-secrets-values.yaml"]
    assert not kind(docs, "KafkaTopic")
    [job] = kind(docs, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    lines = creation_lines(job["spec"]["template"]["spec"]["containers"][0]["command"][-1])
    assert set(lines) == set(DECLARED)
    for name, line in lines.items():
        entry = DECLARED[name]
        assert all(flag in line for flag in expected_flags(entry, entry["replication"], entry["min_insync_replicas"]))


def test_the_compose_topic_step_creates_the_list_on_its_one_broker():
    compose = yaml.safe_load((CHART.parents[1] / "compose.yaml").read_text())
    lines = creation_lines(compose["services"]["topics"]["command"][-1])
    assert set(lines) == set(DECLARED)
    for name, line in lines.items():
        assert all(flag in line for flag in expected_flags(DECLARED[name], 1, 1)), line


def test_keda_triggers_are_the_topics_each_worker_reads_and_its_maximum_fits_their_partitions(renders):
    for docs in (renders["default-values.yaml"], renders["kafka-auth-values.yaml"]):
        for service in PACKAGES:
            scaled = by_name(docs, "ScaledObject")[f"crm-{service}-worker"]
            triggers = scaled["spec"]["triggers"]
            assert sorted(t["metadata"]["topic"] for t in triggers) == sorted(read_by(service))
            assert {t["metadata"]["consumerGroup"] for t in triggers} == {service}  # the worker's group
            for trigger in triggers:
                assert scaled["spec"]["maxReplicaCount"] <= DECLARED[trigger["metadata"]["topic"]]["partitions"]


def test_a_keda_maximum_above_a_topics_partitions_is_refused_at_render_time():
    smallest = min(DECLARED[t]["partitions"] for t in read_by("notify"))
    message = refusal("--set", f"services.notify.worker.autoscaling.maxReplicas={smallest + 1}")
    assert "notify worker" in message and f"above the {smallest} partitions" in message
    docs = render("--set", "services.customer.worker.autoscaling.maxReplicas=6")
    assert by_name(docs, "ScaledObject")["crm-customer-worker"]["spec"]["maxReplicaCount"] == 6


def test_keda_reads_the_lag_with_the_kafka_users_credentials_when_given(renders):
    docs = renders["kafka-auth-values.yaml"]
    [auth] = kind(docs, "TriggerAuthentication")
    assert {r["parameter"] for r in auth["spec"]["secretTargetRef"]} == {"username", "password"}
    for scaled in kind(docs, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
            assert trigger["metadata"]["sasl"] == "scram_sha512" and trigger["metadata"]["tls"] == "enable"


def test_the_list_prints_as_the_chart_reads_it():
    body = topics.as_chart_file().split("\n", 1)[1]
    assert json.loads(body)["topics"] == topics.declared()

"""A cluster that asks for TLS and a SCRAM user: what the chart sets is what every Kafka client of a
service connects with (crm_common.settings: producer, consumer, admin and dead-letter tools alike)."""
import pytest

from crm_common.settings import Settings, SettingsError
from tests.deploy.chart import by_name, container_of, env_of


def environment(docs, deployment) -> dict:
    """A container's plain environment: its config map's, then its own values (secrets left out)."""
    maps = by_name(docs, "ConfigMap")
    shared = {k: v for ref in container_of(deployment).get("envFrom", [])
              for k, v in maps[ref["configMapRef"]["name"]]["data"].items()}
    return {**shared, **{k: v for k, v in env_of(deployment).items() if isinstance(v, str)}}


def test_the_charts_kafka_user_reaches_every_services_kafka_clients(renders):
    docs = renders["kafka-auth-values.yaml"]
    deployments = by_name(docs, "Deployment")
    assert len(deployments) == 12  # six services, web and worker
    for name, deployment in deployments.items():
        secrets = {k: v["secretKeyRef"] for k, v in env_of(deployment).items() if isinstance(v, dict)}
        plain = environment(docs, deployment)
        assert secrets["KAFKA_SASL_USERNAME"]["name"] == secrets["KAFKA_SASL_PASSWORD"]["name"] == "crm-kafka-user"
        resolved = {**plain, "KAFKA_SASL_USERNAME": "crm-user", "KAFKA_SASL_PASSWORD": "from-the-secret",
                    "CRM_ENV": "test"}
        service = name.removeprefix("crm-").removesuffix("-worker")
        client = Settings.from_env(service, resolved).kafka_client()
        assert client == {"bootstrap_servers": ["crm-kafka-kafka-bootstrap.kafka:9093"], "security_protocol": "SASL_SSL",
                          "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "crm-user",
                          "sasl_plain_password": "from-the-secret"}, name


def test_without_a_kafka_user_the_clients_connect_in_plain_text(renders):
    docs = renders["default-values.yaml"]
    env = environment(docs, by_name(docs, "Deployment")["crm-customer"])
    assert "KAFKA_SECURITY_PROTOCOL" not in env
    assert Settings.from_env("customer", {**env, "CRM_ENV": "test"}).kafka_client()["security_protocol"] == "PLAINTEXT"


@pytest.mark.parametrize("env, named", [
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_TLS"}, "KAFKA_SECURITY_PROTOCOL"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"},
     "KAFKA_SASL_MECHANISM"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256", "KAFKA_SASL_USERNAME": "u"},
     "KAFKA_SASL_PASSWORD"),
])
def test_an_incomplete_kafka_user_stops_the_service_at_start_naming_the_setting(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env("customer", {**env, "CRM_ENV": "test"})


def test_the_password_is_never_in_the_settings_repr():
    settings = Settings.from_env("customer", {"CRM_ENV": "test", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                                              "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u",
                                              "KAFKA_SASL_PASSWORD": "hunter2-secret"})
    assert "hunter2-secret" not in repr(settings)

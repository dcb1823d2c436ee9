"""Settings read from the environment, once, by each app factory or worker."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import secrets_policy

DEV_ENVS = ("dev", "test")
# The environment names a service's own settings start with; Settings.value reads them.
SERVICE_PREFIXES = ("LEAD_INTAKE_", "CUSTOMER_", "LOGIN_", "POOL_", "NOTIFY_", "REPORTING_", "AUTOMATION_")


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    service: str
    env: str = "prod"
    mongo_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    mongo_db: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_partitions: int | None = None  # None: each topic's own count in crm_common/topics.py
    kafka_replication_factor: int = 3  # a real cluster's; the local single broker sets 1
    kafka_min_insync_replicas: int = 2  # replicas that must have an event before it is acked (replication > 1)
    # how the services reach a cluster that asks for TLS and a user (a Strimzi KafkaUser's SCRAM secret)
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = field(default=None, repr=False)
    kafka_ssl_cafile: str | None = None
    jwt_secret: str = ""
    jwt_ttl_seconds: int = 8 * 3600
    admin_password: str | None = None
    log_level: str = "INFO"
    worker_metrics_port: int | None = None
    trusted_proxy_hops: int = 0  # proxies in front whose X-Forwarded-For is believed (an ingress: 1)
    bind: str = "0.0.0.0"  # where a worker serves its metrics
    worker_max_failures: int = 40  # a worker thread failing more often in a row than this ends the process
    consumer_max_attempts: int = 10  # a handler failing this often on one event: it is dead-lettered
    consumer_max_retry_seconds: int = 15 * 60  # ... or failing for this long, whichever comes first
    user_writes_per_minute: int = 600  # every user's writes, across replicas
    prometheus_multiproc_dir: str | None = None
    extra: dict = field(default_factory=dict)  # a service's own settings, read by `value`

    def value(self, name: str, default=None, cast=str):
        """A service's own setting (e.g. REPORTING_TIMEZONE), as read from the environment with the rest."""
        raw = self.extra.get(name)
        if raw in (None, ""):
            return default
        try:
            return cast(raw)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{name} is not valid: {raw!r}") from exc

    @property
    def is_dev(self) -> bool:
        """Dev and test environments get time travel and the default admin password."""
        return self.env in DEV_ENVS

    @property
    def kafka_servers(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]

    def kafka_client(self) -> dict:
        """The connection options every Kafka client of a service takes (producer, consumer, admin)."""
        options = {"bootstrap_servers": self.kafka_servers, "security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol.startswith("SASL_"):
            options.update(sasl_mechanism=self.kafka_sasl_mechanism, sasl_plain_username=self.kafka_sasl_username,
                           sasl_plain_password=self.kafka_sasl_password)
        if self.kafka_ssl_cafile:
            options["ssl_cafile"] = self.kafka_ssl_cafile
        return options

    @classmethod
    def for_tool(cls, service: str, environ: dict | None = None) -> "Settings":
        """Settings of an admin command (replay, dead letters): it signs no tokens, so needs no JWT
        secret, and by default reaches the servers `make run` starts."""
        env = dict(os.environ if environ is None else environ)
        env.setdefault("CRM_ENV", "dev")
        env.setdefault("MONGO_URI", f"mongodb://127.0.0.1:{env.get('CRM_MONGO_PORT', '27217')}/?directConnection=true")
        if "KAFKA_BOOTSTRAP_SERVERS" not in env:  # the local single broker
            env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{env.get('CRM_KAFKA_PORT', '19092')}"
            env.setdefault("KAFKA_REPLICATION_FACTOR", "1")
        env.setdefault("JWT_SECRET", "unused-by-admin-commands")
        return cls.from_env(service, env)

    @classmethod
    def from_env(cls, service: str, environ: dict | None = None, **overrides) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        crm_env = env.get("CRM_ENV", "prod").strip().lower()
        is_dev = crm_env in DEV_ENVS
        jwt_secret = env.get("JWT_SECRET") or ("dev-only-secret-never-use-in-production" if is_dev else "")
        if not jwt_secret:
            raise SettingsError("JWT_SECRET must be set when CRM_ENV is not dev or test")
        admin_password = env.get("CRM_ADMIN_PASSWORD") or ("admin" if crm_env == "dev" else None)
        try:
            secrets_policy.check(crm_env, jwt_secret, admin_password)
            secrets_policy.check_sealing_key(crm_env, service, env, jwt_secret)
        except secrets_policy.WeakSecret as exc:
            raise SettingsError(str(exc)) from None
        replication = _int(env, "KAFKA_REPLICATION_FACTOR", cls.kafka_replication_factor)
        values = dict(
            service=service,
            env=crm_env,
            mongo_uri=env.get("MONGO_URI", cls.mongo_uri),
            mongo_db=env.get("MONGO_DB") or "crm_" + service.replace("-", "_"),
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", cls.kafka_bootstrap_servers),
            kafka_topic_partitions=_int(env, "KAFKA_TOPIC_PARTITIONS", cls.kafka_topic_partitions),
            kafka_replication_factor=replication,
            kafka_min_insync_replicas=_min_insync(env, replication),
            **_kafka_security(env),
            jwt_secret=jwt_secret,
            jwt_ttl_seconds=_int(env, "JWT_TTL_SECONDS", cls.jwt_ttl_seconds),
            admin_password=admin_password,
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            worker_metrics_port=_int(env, "WORKER_METRICS_PORT", None),
            trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0),
            bind=env.get("CRM_BIND") or cls.bind,
            worker_max_failures=_int(env, "WORKER_MAX_FAILURES", cls.worker_max_failures),
            consumer_max_attempts=_int(env, "CONSUMER_MAX_ATTEMPTS", cls.consumer_max_attempts),
            consumer_max_retry_seconds=_int(env, "CONSUMER_MAX_RETRY_SECONDS", cls.consumer_max_retry_seconds),
            user_writes_per_minute=_int(env, "USER_WRITES_PER_MINUTE", cls.user_writes_per_minute),
            prometheus_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            extra={k: v for k, v in env.items() if k.startswith(SERVICE_PREFIXES)},
        )
        values.update(overrides)
        return cls(**values)


def _min_insync(env: dict, replication: int) -> int:
    """2 by default, so an acked event is on two brokers; 1 where there are not three replicas to
    lose one of and still take writes."""
    if replication < 1:
        raise SettingsError(f"KAFKA_REPLICATION_FACTOR must be at least 1, got {replication}")
    wanted = _int(env, "KAFKA_MIN_INSYNC_REPLICAS", 2 if replication >= 3 else 1)
    if not 1 <= wanted <= replication:
        raise SettingsError(f"KAFKA_MIN_INSYNC_REPLICAS must be between 1 and KAFKA_REPLICATION_FACTOR "
                            f"({replication}), got {wanted}")
    return wanted


def _int(env: dict, name: str, default: int | None) -> int | None:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc


KAFKA_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def _kafka_security(env: dict) -> dict:
    protocol = (env.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT").strip().upper()
    if protocol not in KAFKA_PROTOCOLS:
        raise SettingsError(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(KAFKA_PROTOCOLS)}, got {protocol!r}")
    values = {"kafka_security_protocol": protocol, "kafka_ssl_cafile": env.get("KAFKA_SSL_CAFILE") or None}
    if protocol.startswith("SASL_"):
        mechanism = (env.get("KAFKA_SASL_MECHANISM") or "").strip().upper()
        if mechanism not in SASL_MECHANISMS:
            raise SettingsError(f"KAFKA_SASL_MECHANISM must be one of {', '.join(SASL_MECHANISMS)} with {protocol}")
        if not env.get("KAFKA_SASL_USERNAME") or not env.get("KAFKA_SASL_PASSWORD"):
            raise SettingsError(f"KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set with {protocol}")
        values.update(kafka_sasl_mechanism=mechanism, kafka_sasl_username=env["KAFKA_SASL_USERNAME"],
                      kafka_sasl_password=env["KAFKA_SASL_PASSWORD"])
    return values

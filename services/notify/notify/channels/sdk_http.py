"""The providers' SDKs (Aliyun SMS and DingTalk through darabonba, Tencent Cloud SMS, wechatpy) sign
their requests themselves but would open their own connections. Here their HTTP goes through notify's
own send instead: the host checked at send time (addresses.refusal, the admin's allowed private hosts)
and connected to at the checked address, and the whole send, a token fetch included, under one deadline.

`with within(allowed):` is one send; an SDK request outside one is refused, so no provider is ever
reached unchecked. Sessions that wechatpy and the Tencent SDK keep per client get `mount(session)`;
darabonba keeps its sessions per host in one table, which is made to hand out the pinned one.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from . import network
from .network import SendError

_current = threading.local()


@contextmanager
def within(allowed: list[str]):
    """One send: every SDK request on this thread meanwhile shares its deadline."""
    with network.Deadline() as deadline:
        _current.send, _current.failed = (allowed, deadline), None
        try:
            yield deadline
        finally:
            _current.send = None


class Refused(SendError):
    """The provider answered with an error code (its text is never shown)."""

    def __init__(self, provider: str, code):
        super().__init__(f"{provider} refused: {code}")
        self.code = str(code)


def failure_of(exc: BaseException, provider: str) -> SendError:
    """What `exc`, raised by an SDK during this send, says for `last_error`: the transport's failure
    if there was one, else the provider's error code (never its text)."""
    failed = getattr(_current, "failed", None)
    if failed is not None:
        return failed
    code = getattr(exc, "code", None) or getattr(exc, "errcode", None)
    if code is None and callable(getattr(exc, "get_code", None)):
        code = exc.get_code()
    return Refused(provider, code) if code else SendError(f"{provider} failed ({type(exc).__name__})")


class Pinned(BaseAdapter):
    """A requests transport that sends through network.http_request, never following a redirect."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        send = getattr(_current, "send", None)
        if send is None:
            raise SendError("an SDK request outside a send")  # nothing reaches a provider unchecked
        allowed, deadline = send
        body = request.body.encode() if isinstance(request.body, str) else request.body
        headers = {k: v for k, v in request.headers.items() if k.lower() != "connection"}
        try:
            status, answered, text = network.http_request(request.method, urlsplit(request.url), body, headers,
                                                          allowed, deadline)
        except Exception as exc:  # noqa: BLE001 - kept for failure_of: the SDK rewraps it in its own text
            _current.failed = SendError(network.failure(exc))
            raise _current.failed from None
        response = requests.Response()
        response.status_code, response.headers = status, CaseInsensitiveDict(answered)
        response._content, response._content_consumed = text, True
        response.url, response.request, response.reason = request.url, request, ""
        response.encoding = requests.utils.get_encoding_from_headers(response.headers) or "utf-8"
        return response

    def close(self):
        pass


PINNED = Pinned()


def mount(session: requests.Session) -> requests.Session:
    session.mount("http://", PINNED)
    session.mount("https://", PINNED)
    return session


class _PinnedSessions(dict):
    """darabonba's table of sessions per host: every host gets the one pinned session."""

    def __init__(self):
        super().__init__()
        self.session = mount(requests.Session())

    def __contains__(self, key):
        return True

    def __getitem__(self, key):
        return self.session


def pin_darabonba() -> None:
    from darabonba.core import DaraCore
    if not isinstance(DaraCore._sessions, _PinnedSessions):
        DaraCore._sessions = _PinnedSessions()


pin_darabonba()

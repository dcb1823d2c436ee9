"""Trace context (W3C traceparent) continues across requests and events, and garbage starts a new trace."""
import re

import pytest

from crm_common import tracing

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_valid_incoming_trace_is_continued_with_a_new_span():
    child = tracing.continue_trace(INCOMING)
    assert TRACEPARENT.match(child)
    assert tracing.trace_id(child) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert child != INCOMING


@pytest.mark.parametrize("incoming", [
    None, "", "garbage", "00-4bf92f35-00f067aa0ba902b7-01",
    INCOMING.upper(),                                         # hex must be lower case
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # an all-zero trace id is invalid
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # so is an all-zero parent id
])
def test_garbage_starts_a_new_trace(incoming):
    started = tracing.continue_trace(incoming)
    assert TRACEPARENT.match(started)
    assert tracing.trace_id(started) not in ("4bf92f3577b34da6a3ce929d0e0e4736", "0" * 32)


def test_new_traces_do_not_collide():
    assert len({tracing.trace_id(tracing.continue_trace("garbage")) for _ in range(50)}) == 50


def test_the_trace_id_of_garbage_is_none():
    assert tracing.trace_id("garbage") is None and tracing.trace_id(None) is None

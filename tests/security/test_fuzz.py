"""Fuzzing every service against its own OpenAPI (issue 12, point 5)."""
import time

import pytest

from crm_common.testing.system import SERVICES

from .fuzzing import EXAMPLES, fuzz, report


@pytest.mark.timeout(max(900, EXAMPLES * 40))
def test_no_generated_request_breaks_a_service_or_its_document(world):
    # If-Match: * lets writes past the version check (a missing one is a 428) to the code behind it
    headers = {**world.headers["admin"], **world.channel_key, "If-Match": "*"}
    started, findings = time.monotonic(), {}
    for service in SERVICES:
        findings[service] = fuzz(world.system.urls[service], headers, world.victims)
    calls = sum(f.calls for f in findings.values())
    print(f"\nfuzzed {calls} requests over {len(SERVICES)} services in {time.monotonic() - started:.0f}s")
    assert not any(f.failures for f in findings.values()), report(findings)

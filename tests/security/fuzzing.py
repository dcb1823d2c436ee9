"""Schemathesis over one service's OpenAPI: every operation, a bounded number of generated requests.

Each request carries the admin's token and the channel key, and real ids in its path, so it gets
past authentication and 404 to the code behind. A response must not be a 5xx and must conform to
the document: a documented status, the documented content type (problem+json for errors) and schema.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from .openapi import SKIPPED_PREFIXES

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("CRM_FUZZ_EXAMPLES", "12"))  # per operation and mode; `make fuzz` raises it


@dataclass
class Findings:
    calls: int = 0
    failures: dict = field(default_factory=dict)  # "METHOD path" -> first failure text per distinct kind

    def add(self, operation: str, text: str) -> None:
        kinds = self.failures.setdefault(operation, {})
        kinds.setdefault(text.splitlines()[0][:200] if text else "?", text[:1500])


def operations(spec_url: str):
    schema = schemathesis.openapi.from_url(spec_url)
    found = [result.ok() for result in schema.get_all_operations()]
    found = [op for op in found if not op.path.startswith(SKIPPED_PREFIXES)]
    return sorted(found, key=lambda op: (op.method.upper() == "DELETE", "deactivate" in op.path or "revoke" in op.path))


def path_values(operation, ids: dict) -> dict:
    """A real id for each path parameter: by "path name" where one name means different things, else by name."""
    found = {}
    for parameter in operation.path_parameters:
        value = ids.get(f"{operation.path} {parameter.name}", ids.get(parameter.name))
        if value is not None:
            found[parameter.name] = value
    return found


def fuzz(base_url: str, headers: dict, ids: dict, *, examples: int = EXAMPLES) -> Findings:
    findings = Findings()
    session = requests.Session()
    for operation in operations(base_url + "/openapi.json"):
        name = f"{operation.method.upper()} {operation.path}"
        path_ids = path_values(operation, ids)
        sent = headers if operation.method.upper() != "GET" else {k: v for k, v in headers.items() if k != "If-Match"}
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_ids or None)

            @hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                                 phases=[Phase.explicit, Phase.generate],
                                 suppress_health_check=list(HealthCheck), print_blob=False)
            @hypothesis.given(case=strategy)
            def run(case):
                findings.calls += 1
                response = case.call(base_url=base_url, session=session, headers=sent, timeout=30)
                try:
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every failed check is a finding
                    findings.add(name, f"{failure}\n-> {response.status_code} {response.text[:300]}")

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                pass
    return findings


def report(findings: dict) -> str:
    lines = []
    for service, found in findings.items():
        for operation, kinds in found.failures.items():
            for text in kinds.values():
                lines.append(f"[{service}] {operation}\n    " + text.replace("\n", "\n    "))
    return "\n".join(lines)

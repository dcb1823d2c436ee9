"""Reading the services' own OpenAPI documents: operations, path ids, and bodies that pass validation."""
from __future__ import annotations

import re
from dataclasses import dataclass

import requests

SKIPPED_PREFIXES = ("/v1/dev/",)  # dev-only routes: time travel and job runs, not served in production
WRITES = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    spec: dict
    document: dict

    @property
    def name(self) -> str:
        return f"{self.service} {self.method.upper()} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def channel_only(self) -> bool:
        return self.spec.get("security") == [{"apiKey": []}]

    def url(self, base: str, values: dict) -> str:
        return base + re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), self.path)

    def json_body_schema(self) -> dict | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            return resolve(self.document, content["application/json"].get("schema", {}))
        return None

    def takes_csv(self) -> bool:
        return "text/csv" in self.spec.get("requestBody", {}).get("content", {})


def operations(service: str, base_url: str) -> list[Operation]:
    document = requests.get(base_url + "/openapi.json", timeout=10).json()
    found = [Operation(service, method, path, spec, document)
             for path, methods in document["paths"].items() if not path.startswith(SKIPPED_PREFIXES)
             for method, spec in methods.items() if method in ("get",) + WRITES]
    # deletions and revocations last: the objects they remove are needed by every other call
    return sorted(found, key=lambda op: (op.method == "delete", op.path.endswith(("/deactivate", "/revoke"))))


def resolve(document: dict, schema: dict) -> dict:
    if "$ref" in schema:
        target = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return resolve(document, target)
    return schema


def minimal_body(document: dict, schema: dict, hints: dict) -> object:
    """A value of `schema` with only its required members, each the plainest valid value.

    `hints` gives values by member name (real ids), so a body names objects that exist."""
    schema = resolve(document, schema)
    if "allOf" in schema:
        schema = resolve(document, schema["allOf"][0])
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        # nothing required may still mean "something": then every hinted member it declares
        names = schema.get("required") or [name for name in properties if name in hints]
        return {name: hints[name] if name in hints else minimal_body(document, properties.get(name, {}), hints)
                for name in names}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [minimal_body(document, schema.get("items", {}), hints) for _ in range(count)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-01-05"
    if fmt == "date-time":
        return "2026-01-05T08:00:00+00:00"
    if fmt == "email":
        return "someone@example.cn"
    if fmt in ("uri", "url"):
        return "https://example.cn/x"
    return "x" * max(1, schema.get("minLength", 1))

"""Writes `crm_events/types.py`: a TypedDict of every event's `data`, from the services' contracts.

    python -m crm_events.generate          # rewrites types.py next to this file
    python -m crm_events.generate --check  # exits 1 if types.py is not what the contracts give

A test runs the check, so the types cannot drift from crm_common/contracts.
"""
from __future__ import annotations

import argparse
import keyword
import sys
from pathlib import Path

from crm_common.catalogue import message_id
from crm_common.events import contract_types, schema_for, shared_defs

TARGET = Path(__file__).with_name("types.py")
SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def class_name(def_name: str) -> str:
    return "".join(part.title() for part in def_name.split("_"))


def _defs() -> dict:
    return {name: shape for doc in shared_defs().values() for name, shape in doc["$defs"].items()}


def annotation(schema: dict) -> str:
    """The Python type of a JSON Schema: shared shapes by their name, inline objects as plain dicts."""
    if "$ref" in schema:
        return class_name(schema["$ref"].rsplit("/", 1)[-1])
    if "const" in schema:
        return f"Literal[{schema['const']!r}]"
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        return f"Literal[{', '.join(repr(v) for v in values)}]" + (" | None" if None in schema["enum"] else "")
    if "anyOf" in schema:
        return " | ".join(dict.fromkeys(annotation(s) for s in schema["anyOf"]))
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return " | ".join(annotation({**schema, "type": k}) for k in kinds)
    if kinds == "array":
        return f"list[{annotation(schema.get('items', {}))}]"
    if kinds == "object" and "properties" not in schema:
        return "dict[str, Any]"
    return SCALARS.get(kinds, "Any") if kinds != "object" else "dict[str, Any]"


def fields(schema: dict) -> tuple[dict, list]:
    """Properties and required names, with those of each `allOf` part merged in (the part first)."""
    properties, required = {}, []
    for part in schema.get("allOf", []):
        inner = _defs()[part["$ref"].rsplit("/", 1)[-1]] if "$ref" in part else part
        more, needed = fields(inner)
        properties, required = {**properties, **more}, required + needed
    return {**properties, **schema.get("properties", {})}, required + schema.get("required", [])


def typed_dict(name: str, schema: dict) -> str:
    """A TypedDict class that extends the shared shapes its contract names in `allOf`; flat instead when
    the contract requires a field its shape leaves optional (a TypedDict cannot tighten a field)."""
    bases = [part["$ref"].rsplit("/", 1)[-1] for part in schema.get("allOf", [])]
    inherited = {key for base in bases for key in fields(_defs()[base])[0]}
    required = set(fields(schema)[1])
    if any(key in required and key not in fields(_defs()[b])[1] for b in bases for key in fields(_defs()[b])[0]):
        bases, inherited = [], set()
    own = {k: v for k, v in fields(schema)[0].items() if k not in inherited}

    def kind(key):
        return annotation(own[key]) if key in required else f"NotRequired[{annotation(own[key])}]"
    doc = schema.get("title") or schema.get("description", "")
    out = f"# {doc}\n" if doc else ""
    names = [class_name(b) for b in bases]
    odd = {k: v for k, v in own.items() if not k.isidentifier() or keyword.iskeyword(k)}
    if odd:  # `from` cannot be a class attribute: those fields come from a functional base
        names.append(f"_{name}Fields")
        entries = ", ".join(f'"{k}": {kind(k)}' for k in odd)
        out += f'_{name}Fields = TypedDict("_{name}Fields", {{{entries}}})\n'
    body = [f"    {k}: {kind(k)}" for k in own if k not in odd] or ["    pass"]
    return out + f"class {name}({', '.join(names) or 'TypedDict'}):\n" + "\n".join(body) + "\n"


def _ordered_defs() -> list[str]:
    """Shared shapes, each after the ones it names."""
    defs, out = _defs(), []

    def visit(name):
        if name in out:
            return
        for ref in _refs(defs[name]):
            visit(ref)
        out.append(name)
    for name in defs:
        visit(name)
    return out


def _refs(schema) -> list[str]:
    if isinstance(schema, list):
        return [r for item in schema for r in _refs(item)]
    if not isinstance(schema, dict):
        return []
    own = [schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else []
    return own + [r for value in schema.values() for r in _refs(value)]


def source() -> str:
    parts = ['"""Every event\'s `data`, typed: generated from crm_common/contracts by `python -m crm_events.generate`.',
             "Do not edit; run the generator after a contract changes.", '"""',
             "from typing import Any, Literal, NotRequired, TypedDict", ""]
    defs = _defs()
    for name in _ordered_defs():
        shape = defs[name]
        if shape.get("type") == "object" or "allOf" in shape:
            parts.append(typed_dict(class_name(name), shape))
        else:
            parts.append(f"{class_name(name)} = {annotation(shape)}\n")
    for event_type, version in contract_types():
        parts.append(typed_dict(message_id(event_type, version), schema_for(event_type, version)))
    entries = "\n".join(f'    ("{t}", {v}): {message_id(t, v)},' for t, v in contract_types())
    parts.append(f"# The data type of each (event type, contract version).\nDATA: dict[tuple[str, int], Any] = {{\n"
                 f"{entries}\n}}\n")
    return "\n".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that types.py is up to date")
    args = parser.parse_args(argv)
    text = source()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run python -m crm_events.generate", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}: {len(contract_types())} event types")
    return 0


if __name__ == "__main__":
    sys.exit(main())

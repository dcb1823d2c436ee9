"""`/asyncapi.html`: the event catalogue for a person, rendered on the server from the AsyncAPI
document: servers, one section per topic, each message's fields and an example. Plain HTML with
its style inline, no script and nothing fetched elsewhere, so it reads the same offline."""
from __future__ import annotations

import json
from html import escape

from .events import resolved, schema_for

STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}h3{margin:1.5rem 0 .3rem}
code{background:#f3f3f3;padding:0 .25rem}table{border-collapse:collapse;width:100%;margin:.4rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f7f7f7}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto}nav a{margin-right:1rem}.muted{color:#666}"""


def _kind(schema: dict) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_kind(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array":
        kind = f"array of {_kind(schema.get('items', {}))}"
    return kind + (f" ({schema['format']})" if "format" in schema else "")


def _fields(schema: dict) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(_kind(field))}</td>"
        f"<td>{'yes' if name in required else ''}</td><td>{escape(field.get('description', ''))}</td></tr>"
        for name, field in schema.get("properties", {}).items())
    return f"<table><tr><th>field of data</th><th>type</th><th>required</th><th>meaning</th></tr>{rows}</table>"


def _message(mid: str, message: dict, operation: str) -> str:
    name = message["name"]
    event_type, version = name.rsplit(".v", 1)
    example = json.dumps(message["examples"][0]["payload"], indent=2, ensure_ascii=False)
    return (f'<h3 id="{escape(mid)}">{escape(message["title"])} <span class="muted">· <code>{escape(name)}</code>'
            f'</span></h3><p>{escape(message["summary"])}</p><p class="muted">message id <code>{escape(mid)}</code>, '
            f'operation <code>{escape(operation)}</code></p>'
            f"{_fields(resolved(schema_for(event_type, int(version))))}"
            f"<details><summary>example event</summary><pre>{escape(example)}</pre></details>")


def page(doc: dict) -> str:
    info, messages = doc["info"], doc["components"]["messages"]
    operation_of = {ref["$ref"].rsplit("/", 1)[-1]: op_id for op_id, op in doc["operations"].items()
                    for ref in op["messages"]}
    servers = "".join(f"<tr><td><code>{escape(key)}</code></td><td><code>{escape(s['host'])}</code></td>"
                      f"<td>{escape(s.get('description', ''))}</td></tr>" for key, s in doc["servers"].items())
    sections = []
    for key, channel in doc["channels"].items():
        partitions = channel.get("bindings", {}).get("kafka", {}).get("partitions")
        body = "".join(_message(mid, messages[mid], operation_of[mid]) for mid in channel["messages"])
        sections.append(f'<h2 id="{escape(key)}">Topic <code>{escape(channel["address"])}</code></h2>'
                        f'<p>{escape(channel["description"])}'
                        f'{f" {partitions} partitions." if partitions else ""}</p>{body}')
    nav = "".join(f'<a href="#{escape(key)}">{escape(key)}</a>' for key in doc["channels"])
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(info["title"])}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(info['title'])}</h1><p>{escape(info['description'])}"
            f'</p><p>The same, for tools: <a href="asyncapi.json">asyncapi.json</a> (AsyncAPI '
            f'{escape(doc["asyncapi"])}).</p><nav>{nav}</nav><h2>Servers</h2><table><tr><th>server</th><th>host</th>'
            f"<th>what</th></tr>{servers}</table>{''.join(sections)}</body></html>")

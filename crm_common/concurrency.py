"""Optimistic concurrency over HTTP: a version number as a strong ETag, checked by If-Match.

A document carries an integer `version` that every write increments. Reads send
it as the ETag; a write must send it back in If-Match. Missing -> 428, stale ->
412, so two editors cannot silently overwrite each other (RFC 9110 §13.1.1).
"""
from __future__ import annotations

import copy

from flask import request

from .errors import Problem

HEADER = "If-Match"


def documented(*, required: bool = True, when: str = ""):
    """Name the If-Match header in a route's OpenAPI (as `idempotent` names its own); `when` says when it is
    needed if not always."""
    def mark(view):
        view._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
        view._apidoc.setdefault("arguments", {}).setdefault("parameters", []).append({
            "in": "header", "name": HEADER, "required": required, "schema": {"type": "string"},
            "description": f"{when}The ETag of the version you last read (or `*` to overwrite whatever is there): "
                           "428 without it, 412 when it changed since."})
        return view
    return mark


def etag(version: int) -> str:
    return f'"{int(version)}"'


def etag_headers(document: dict) -> dict:
    return {"ETag": etag(document.get("version", 1))}


def expected_versions(*, required: bool = True) -> frozenset[int] | None:
    """The versions the client accepts, from If-Match; None means any (absent and not required, or `*`)."""
    header = request.headers.get(HEADER)
    if not header:
        if required:
            raise Problem(428, "this change needs an If-Match header with the ETag you last read",
                          errors=[{"field": HEADER, "message": "required"}])
        return None
    if header.strip() == "*":
        return None  # "any current version": the client accepts overwriting
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
    versions = [int(t) for t in tags if t.isascii() and t.isdigit()]
    if not versions:
        raise Problem(400, "If-Match must be an ETag such as \"3\"", errors=[{"field": HEADER, "message": "malformed"}])
    return frozenset(versions)


def check(document: dict, expected: frozenset[int] | None) -> None:
    """Refuse a write based on another version than the stored one."""
    if expected is not None and int(document.get("version", 1)) not in expected:
        raise Problem(412, "the resource changed since you read it; read it again and reapply your change",
                      headers=etag_headers(document), current_etag=etag(document.get("version", 1)))

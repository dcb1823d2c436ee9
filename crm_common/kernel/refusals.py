"""Refusals: what domain code raises when a rule says no.

Each carries a human detail, an optional machine `reason` code and the fields at
fault (`errors`: [{"field": "a.b", "message": ...}]), plus any other members the
answer names (e.g. `missing_conditions`). The web layer (crm_common.errors) turns
every refusal into problem+json once, with the status of its class, so rules
never speak HTTP.
"""
from __future__ import annotations


class Refusal(Exception):
    status = 409

    def __init__(self, detail: str, *, reason: str | None = None, errors: list[dict] | None = None,
                 title: str | None = None, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.detail, self.reason, self.errors, self.title = detail, reason, errors, title
        self.headers, self.extra = headers or {}, extra

    @classmethod
    def field(cls, name: str, message: str, detail: str | None = None, **extra) -> "Refusal":
        """A refusal of one field: `Invalid.field("pipeline_id", "unknown", "no such pipeline")`."""
        return cls(detail or f"{name}: {message}", errors=[{"field": name, "message": message}], **extra)


class Invalid(Refusal):
    """The request names something that is not valid here (400)."""
    status = 400


class Unauthenticated(Refusal):
    """Who is asking is not known (401)."""
    status = 401


class Forbidden(Refusal):
    """The caller may not do this (403)."""
    status = 403


class NotFound(Refusal):
    """No such record, or none the caller may see: the same answer for both (404)."""
    status = 404


class Conflict(Refusal):
    """The record's state does not allow it now (409)."""
    status = 409


class Stale(Refusal):
    """The caller's copy is older than the record (412, If-Match)."""
    status = 412


class TooMany(Refusal):
    """A limit of requests in a window was reached (429)."""
    status = 429

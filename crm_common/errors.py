"""Problem details (RFC 9457): the one shape of every error the services return."""
from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES

from . import tracing
from .kernel.refusals import Refusal

PROBLEM_TYPE = "application/problem+json"


class FieldErrorSchema(ma.Schema):
    field = ma.fields.String(allow_none=True, required=True, metadata={"description": "a.b.0.c; null for the body as a whole"})
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """How every error is documented in the OpenAPI: the body problem_response writes."""
    class Meta:
        unknown = ma.INCLUDE  # some answers add members, e.g. /readyz's `checks`

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    request_id = ma.fields.String(required=True)
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


class Problem(Exception):
    """Raise anywhere in a request to answer with problem+json."""

    def __init__(self, status: int, detail: str | None = None, *, title: str | None = None,
                 errors: list[dict] | None = None, type: str = "about:blank", headers: dict | None = None,
                 **extra):
        super().__init__(detail or title)
        self.status, self.detail, self.errors = status, detail, errors
        self.title = title or HTTP_STATUS_CODES.get(status, "Error")
        self.type, self.headers, self.extra = type, headers or {}, extra


def field_errors(messages, prefix: str = "", *, top: bool = True) -> list[dict]:
    """Flatten marshmallow/webargs messages into [{"field": "a.b", "message": ...}]."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            # Only the outermost keys are webargs locations; a body field may be called "query".
            if key in ("json", "query", "form", "headers", "view_args") and top:
                out += field_errors(value, "", top=False)
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            out += field_errors(value, name, top=False)
    elif isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        out += [{"field": prefix or None, "message": m} for m in messages]
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            out += field_errors(item, prefix, top=False)
    else:
        out.append({"field": prefix or None, "message": str(messages)})
    return out


def from_refusal(refusal: Refusal) -> Problem:
    """A domain refusal as the problem it answers: its class's status, its reason and fields."""
    extra = {"reason": refusal.reason, **refusal.extra} if refusal.reason is not None else dict(refusal.extra)
    return Problem(refusal.status, refusal.detail, title=refusal.title, errors=refusal.errors,
                   headers=refusal.headers, **extra)


def problem_response(problem: Problem):
    body = {"type": problem.type, "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    body["request_id"] = tracing.request_id_var.get()
    response = jsonify(body)
    response.status_code = problem.status
    response.mimetype = PROBLEM_TYPE
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response

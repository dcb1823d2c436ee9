"""The Flask base every service's app is built on.

problem+json for every error, request ids, JSON access logs, /healthz,
/readyz, /metrics, and OpenAPI 3 with an interactive page at /docs.
"""
from __future__ import annotations

import functools
import logging
import time
import uuid

import flask_smorest
import marshmallow as ma
from flask import Flask, Response, current_app, g, jsonify, request
from pymongo.errors import ConnectionFailure
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import kafka as kafka_plumbing
from . import catalogue, catalogue_page, headers, limits, outbox, tracing
from .errors import PROBLEM_TYPE, Problem, ProblemSchema, field_errors, from_refusal, problem_response
from .kernel.refusals import Refusal

log = logging.getLogger("crm.http")
MAX_BODY_BYTES = 1024 * 1024


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400  # bad input is the client's error, not "unprocessable"

    def _get_schema(self, argmap, req):
        # webargs builds a new instance of a schema class for every request (a deep copy of its
        # fields: 0.3 ms a lead at intake); loading with one instance per class holds no state
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _instance_of(argmap)
        return super()._get_schema(argmap, req)


@functools.lru_cache(maxsize=None)
def _instance_of(schema_class):
    return schema_class()


class Blueprint(flask_smorest.Blueprint):
    """Every service's blueprints parse with the 400-on-bad-input parser."""
    ARGUMENTS_PARSER = _Parser()


class _ProblemApi(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema  # the error responses every operation documents (400, default)

    def _register_responses(self):
        # flask-smorest documents errors with the 2xx content type; ours are problem+json.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_TYPE
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        status = error.code or 500
        errors = field_errors(messages) if messages else None
        detail = "the request has invalid fields" if errors else error.description
        if status == 413:
            detail = f"the body is larger than {request.max_content_length} bytes"
        return problem_response(Problem(status, detail, errors=errors, headers=data.get("headers")))


def answers(status: int, schema=None, *media_types: str, description: str = "OK") -> dict:
    """`@blp.doc(**answers(200, ReportOut, "application/json", "text/csv"))`: documents an answer the
    view builds itself (jsonify, CSV, a file), which @blp.response would serialize again."""
    content = {m: {"schema": schema if m == "application/json" and schema is not None else {"type": "string"}}
               for m in media_types or ("application/json",)}
    return {"responses": {str(status): {"description": description, "content": content}}}


def runtime():
    return current_app.extensions["crm"]


def create_base_app(name: str, rt) -> Flask:
    app = Flask(name)
    app.config.update(
        API_TITLE=f"CRM {rt.settings.service}", API_VERSION="1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json", OPENAPI_SWAGGER_UI_PATH="docs",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    app.json.sort_keys = False
    app.extensions["crm"] = rt
    if rt.settings.trusted_proxy_hops:
        # Behind an ingress every request comes from its address: the client's is the one it forwarded,
        # which the login throttle and the limits need. Never believed without a proxy in front.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=rt.settings.trusted_proxy_hops)
    headers.serve_docs_assets(app)  # the docs page's assets from a pinned package, no CDN
    api = _ProblemApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}}})
    app.register_error_handler(Problem, problem_response)
    app.register_error_handler(Refusal, lambda refusal: problem_response(from_refusal(refusal)))
    app.register_error_handler(ma.ValidationError, lambda e: problem_response(
        Problem(400, "the request has invalid fields", errors=field_errors(e.messages))))
    app.register_error_handler(ConnectionFailure, _database_unreachable)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_start_request)
    app.before_request(limits.check_request)  # after the request id: a refusal carries one
    app.after_request(_finish_request)
    app.after_request(headers.secure)
    app.add_url_rule("/healthz", "healthz", lambda: jsonify(status="ok"))
    app.add_url_rule("/readyz", "readyz", _readyz)
    app.add_url_rule("/metrics", "metrics", _metrics)
    # The event catalogue, its servers this deployment's brokers; the page renders it for a person.
    app.add_url_rule("/asyncapi.json", "asyncapi", lambda: jsonify(catalogue.asyncapi(rt.settings.kafka_servers)))
    app.add_url_rule("/asyncapi.html", "asyncapi_page", lambda: Response(
        catalogue_page.page(catalogue.asyncapi(rt.settings.kafka_servers)), mimetype="text/html"))
    app.extensions["crm_api"] = api
    return app


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return current_app.extensions["crm_api"].handle_http_exception(exc)
    log.exception("unhandled error")
    return problem_response(Problem(500, "an unexpected error occurred; quote the request id when reporting it"))


def _database_unreachable(exc: ConnectionFailure):
    # A write in a transaction did not commit; retrying (with the same Idempotency-Key) is safe.
    log.warning("MongoDB unreachable: %s", exc)
    return problem_response(Problem(503, "the database is unreachable; retry shortly",
                                    headers={"Retry-After": "5"}))


def _start_request():
    g.started = time.perf_counter()
    rid = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    tracing.request_id_var.set(rid[:128])
    tracing.traceparent_var.set(tracing.continue_trace(request.headers.get("traceparent")))


def _finish_request(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    runtime().metrics.request_seconds.labels(request.method, route, response.status_code).observe(elapsed)
    response.headers["X-Request-ID"] = tracing.request_id_var.get() or ""
    if route not in ("/healthz", "/readyz", "/metrics"):
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={"fields": {
            "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2)}})
    return response


def _readyz():
    rt = runtime()
    checks = {}
    try:
        rt.client.admin.command("ping")
        checks["mongodb"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["mongodb"] = f"unreachable: {type(exc).__name__}"
    checks["kafka"] = "ok" if kafka_plumbing.reachable(rt.settings) else "unreachable"
    checks.update({name: "ok" if ready() else "not yet" for name, ready in rt.readiness.items()})
    ready = all(v == "ok" for v in checks.values())
    if not ready:
        return problem_response(Problem(503, "a dependency is unreachable", checks=checks))
    return jsonify(status="ready", checks=checks)


def _metrics():
    rt = runtime()
    rt.metrics.outbox_backlog.set(outbox.backlog(rt.db))
    rt.metrics.outbox_failed.set(outbox.failed_count(rt.db))
    return Response(rt.metrics.exposition(), mimetype="text/plain; version=0.0.4")

"""The manager's dashboard, served whole by this service (no CDN: many sites run offline).

The page logs in through this service, which passes the username and password on to
the customer service (the owner of users) and hands back its token; everything else
the page shows comes from the JSON reports, read with that token, and a report row's
opportunities from the customer service's list, which this service reads for the page
with the same token.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from flask import g, jsonify, request, send_from_directory

from crm_common.auth import require_user
from crm_common.errors import Problem
from crm_common.kernel.refusals import Invalid, TooMany, Unauthenticated
from crm_common.web import Blueprint, answers, runtime

from ..model import store
from .schemas import LoginIn, LoginOut, OpportunityFilters, OpportunityPage, Options

STATIC = Path(__file__).parent / "static"
CUSTOMER_URL = "REPORTING_CUSTOMER_URL"  # where the customer service answers logins
DEFAULT_CUSTOMER_URL = "http://127.0.0.1:8002"

blp = Blueprint("dashboard", __name__, description="The dashboard page and what it needs")


@blp.route("/dashboard", methods=["GET"])
@blp.doc(**answers(200, None, "text/html"))
def page():
    """The dashboard page (zh / en)."""
    return send_from_directory(STATIC, "dashboard.html", max_age=0)


@blp.route("/dashboard/static/<path:name>", methods=["GET"])
@blp.doc(**answers(200, None, "text/css", "text/javascript", "text/markdown", "application/octet-stream"))
def asset(name: str):
    return send_from_directory(STATIC, name, max_age=3600)


@blp.route("/dashboard/login", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": LoginIn}}}, **answers(200, LoginOut))
def login():
    """Username and password -> the customer service's token answer."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body.get("username"), str) or not isinstance(body.get("password"), str):
        raise Invalid("username and password are required", errors=[{"field": "username", "message": "required"}])
    forwarded = _to_customer_service(
        # The client's address for the customer service's login throttle (believed there only when its
        # TRUSTED_PROXY_HOPS says a proxy is in front); without it every dashboard login shares ours.
        "/v1/auth/token", method="POST", headers={"Content-Type": "application/json",
                                                  "X-Forwarded-For": request.remote_addr or ""},
        data=json.dumps({"username": body["username"], "password": body["password"]}).encode())
    return _answer_of(forwarded, _login_refused)


def _login_refused(exc: urllib.error.HTTPError) -> None:
    if exc.code in (400, 401):
        raise Unauthenticated("unknown user or wrong password") from exc
    if exc.code in (429, 503):  # the login throttle or a busy password check: the browser waits, as told
        wait = {"Retry-After": exc.headers.get("Retry-After") or "5"}
        if exc.code == 429:
            raise TooMany("too many sign-in attempts, try again later", headers=wait) from exc
        raise Problem(503, "sign-in is busy, try again shortly", headers=wait) from exc


def _to_customer_service(path: str, **request_args) -> urllib.request.Request:
    base = runtime().settings.value(CUSTOMER_URL, DEFAULT_CUSTOMER_URL).rstrip("/")
    return urllib.request.Request(f"{base}{path}", **request_args)


@blp.route("/dashboard/opportunities", methods=["GET"])
@require_user()
@blp.arguments(OpportunityFilters, location="query", as_kwargs=True)
@blp.doc(**answers(200, OpportunityPage))
def opportunities(**_filters):
    """A report row's drill-down (the query in its `opportunities`): the customer service's list of those
    opportunities, read with the caller's own token, so within the caller's scope."""
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k in OpportunityFilters().fields])
    forwarded = _to_customer_service(f"/v1/opportunities?{query}",
                                     headers={"Authorization": request.headers.get("Authorization", "")})
    return _answer_of(forwarded, _list_refused)


def _list_refused(exc: urllib.error.HTTPError) -> None:
    if exc.code in (400, 401, 403):  # a filter it refused (naming the field), or the caller's token
        refused = json.loads(exc.read() or b"{}")
        raise Problem(exc.code, refused.get("detail"), errors=refused.get("errors")) from exc


def _answer_of(forwarded: urllib.request.Request, refused):
    """The customer service's JSON answer; a refusal as `refused(error)` passes it on, else 502 or 503."""
    try:
        with urllib.request.urlopen(forwarded, timeout=10) as answer:
            return jsonify(json.load(answer))
    except urllib.error.HTTPError as exc:
        refused(exc)
        raise Problem(502, f"the customer service answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise Problem(503, "the customer service cannot be reached", headers={"Retry-After": "5"}) from exc


@blp.route("/v1/reports/options", methods=["GET"])
@require_user()
@blp.doc(**answers(200, Options))
def options():
    """Who the caller is, and the departments and reps their scope switch may pick."""
    me, models = g.principal, store.live(runtime().db)
    leaf = me.department_path[-1] if me.department_path else None
    if me.is_admin:
        departments, users = models.departments.find(), models.users.find()
    elif me.role == "manager" and leaf:
        departments, users = models.departments.find({"path": leaf}), models.users.find({"department_path": leaf})
    else:
        departments, users = [], models.users.find({"_id": me.user_id})
    return jsonify({
        "me": {"user_id": me.user_id, "username": me.username, "role": me.role,
               "department_path": me.department_path},
        "departments": sorted(({"id": d["_id"], "name": d["name"], "path": d["path"]} for d in departments),
                              key=lambda d: d["path"]),
        "reps": sorted(({"user_id": u["_id"], "username": u["username"]} for u in users if u.get("role") != "admin"),
                       key=lambda u: u["username"])})

"""Rules, for admins only: write a draft, edit it into new versions (If-Match), preview it, activate one
version, deactivate; list them, their versions and the JSON Schema every rule is checked against."""
from __future__ import annotations

from flask import g

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.paging import page, page_schema
from crm_common.web import Blueprint, runtime

from ..engine import schema
from ..runs import stats
from . import backtest, preview, store
from .schemas import (ActivateIn, BacktestIn, BacktestOut, DryRunIn, DryRunOut, RuleArgs, RuleIn, RuleOut, RulePatch,
                      StatsArgs, StatsOut, VersionList)

blp = Blueprint("rules", __name__, url_prefix="/v1/rules", description="Automation rules and their versions")


def with_etag(rule: dict, status: int = 200):
    return rule, status, concurrency.etag_headers(rule)


@blp.route("", methods=["POST"])
@require_user("admin")
@idempotent
@blp.arguments(RuleIn)
@blp.response(201, RuleOut)
def create_rule(body):
    """A new rule, as draft version 1: it does nothing until a version is activated."""
    return with_etag(store.create(runtime(), body, g.principal.user_id), 201)


@blp.route("", methods=["GET"])
@require_user("admin")
@blp.arguments(RuleArgs, location="query")
@blp.response(200, page_schema(RuleOut, "RulePage"))
def list_rules(args):
    query = {"status": args["status"]} if args["status"] else {}
    found = page(runtime().db[store.RULES], query, limit=args["limit"], cursor=args["cursor"])
    return {**found, "items": [store.view(r) for r in found["items"]]}


@blp.route("/schema", methods=["GET"])
@require_user("admin")
@blp.doc(responses={"200": {"description": "A JSON Schema (draft 2020-12)",
                            "content": {"application/json": {"schema": {"type": "object"}}}}})
def rule_schema():
    """The JSON Schema of a rule: every trigger, condition and action shape a rule may take."""
    return schema.rule_schema(store.event_types())


@blp.route("/<rule_id>", methods=["GET"])
@require_user("admin")
@blp.response(200, RuleOut)
def get_rule(rule_id):
    return with_etag(store.get(runtime().db, rule_id))


@blp.route("/<rule_id>", methods=["PATCH"])
@require_user("admin")
@concurrency.documented()
@blp.arguments(RulePatch)
@blp.response(200, RuleOut)
def edit_rule(body, rule_id):
    """The next version of the rule, a draft; the active version (if any) goes on until this one is activated."""
    return with_etag(store.edit(runtime(), rule_id, body, concurrency.expected_versions(), g.principal.user_id))


@blp.route("/<rule_id>/versions", methods=["GET"])
@require_user("admin")
@blp.response(200, VersionList)
def list_versions(rule_id):
    return {"items": store.versions(runtime().db, rule_id)}


@blp.route("/<rule_id>/stats", methods=["GET"])
@require_user("admin")
@blp.arguments(StatsArgs, location="query")
@blp.response(200, StatsOut)
def rule_stats(args, rule_id):
    """Per day, how often the rule's conditions did not hold on an event it listens on."""
    rt = runtime()
    store.get(rt.db, rule_id)
    return {"rule_id": rule_id, "days": stats.of_rule(rt.db, rule_id, rt.clock.now(), args["days"])}


@blp.route("/<rule_id>:activate", methods=["POST"])
@require_user("admin")
@blp.arguments(ActivateIn)
@blp.response(200, RuleOut)
def activate_rule(body, rule_id):
    """Make the latest version the active one; `existing: enroll` also runs it now for records that match."""
    rt = runtime()
    rule = store.activate(rt, rule_id, body["existing"], g.principal.user_id)
    enrolled = preview.enroll(rt, rule) if body["existing"] == "enroll" else 0
    return with_etag({**store.view(rule), "enrolled": enrolled})


@blp.route("/<rule_id>:deactivate", methods=["POST"])
@require_user("admin")
@blp.response(200, RuleOut)
def deactivate_rule(rule_id):
    return with_etag(store.deactivate(runtime(), rule_id, g.principal.user_id))


@blp.route("/<rule_id>:dry-run", methods=["POST"])
@require_user("admin")
@blp.arguments(DryRunIn)
@blp.response(200, DryRunOut)
def dry_run(body, rule_id):
    """The latest version on a kept event (`event_id`) or a record as it is now: what it would do, doing nothing."""
    return preview.dry_run(runtime(), rule_id, body)


@blp.route("/<rule_id>:backtest", methods=["POST"])
@require_user("admin")
@blp.arguments(BacktestIn)
@blp.response(200, BacktestOut)
def backtest_rule(body, rule_id):
    """The latest version replayed over the last `days` of kept events: what it would have done, doing nothing."""
    return backtest.backtest(runtime(), rule_id, body["days"])

"""Admin API over the runtime rules: scoring, assignment and de-duplication."""
from __future__ import annotations

from flask import request

from crm_common.idempotency import idempotent
from crm_common.auth import require_user
from crm_common.errors import Problem
from crm_common.web import Blueprint, runtime

from . import rules

blp = Blueprint("rules", __name__, url_prefix="/v1/rules", description="Scoring, assignment and dedup rules")


@blp.route("/<name>", methods=["GET"])
@require_user("admin", "manager")
def read_rules(name):
    _known(name)
    return rules.current(runtime().db, name)


@blp.route("/<name>", methods=["PUT"])
@require_user("admin")
@idempotent
def replace_rules(name):
    """Replace one rule set; fields left out take their defaults. Effective at once."""
    _known(name)
    values = rules.SCHEMAS[name]().load(request.get_json(silent=False) or {})  # 400 problem on bad fields
    return rules.replace(runtime().db, name, values)


def _known(name: str) -> None:
    if name not in rules.SCHEMAS:
        raise Problem(404, f"no rules named {name!r}; there are: {', '.join(rules.SCHEMAS)}")

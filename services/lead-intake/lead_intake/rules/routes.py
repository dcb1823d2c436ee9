"""Admin API over the runtime rules: scoring, assignment and de-duplication.

One pair of routes per rule set, so the OpenAPI documents each set's own body and answer.
"""
from __future__ import annotations

from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.web import Blueprint, runtime

from . import store as rules

blp = Blueprint("rules", __name__, url_prefix="/v1/rules", description="Scoring, assignment and dedup rules")


def _routes(name: str, schema) -> None:
    def read():
        return rules.current(runtime().db, name)

    def replace(values):
        return rules.replace(runtime(), name, values)

    read.__name__, replace.__name__ = f"read_{name}_rules", f"replace_{name}_rules"
    read.__doc__ = f"The {name} rules in force."
    replace.__doc__ = f"Replace the {name} rules; fields left out take their defaults. Effective at once."
    blp.route(f"/{name}", methods=["GET"])(
        require_user("admin", "manager")(blp.response(200, schema)(read)))
    blp.route(f"/{name}", methods=["PUT"])(
        require_user("admin")(idempotent(blp.arguments(schema)(blp.response(200, schema)(replace)))))


for _name, _schema in rules.SCHEMAS.items():
    _routes(_name, _schema)

"""Admin API over the runtime rules: scoring, assignment and de-duplication.

One pair of routes per rule set, so the OpenAPI documents each set's own body and answer. A read
answers the set's ETag; a replacement needs it in If-Match (428 without, 412 when stale), the defaults
included, so two admins cannot overwrite each other's rules unseen.
"""
from __future__ import annotations

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.web import Blueprint, runtime

from . import store as rules

blp = Blueprint("rules", __name__, url_prefix="/v1/rules", description="Scoring, assignment and dedup rules")


DEFAULTS_COUNT = "The defaults count as a version (ETag \"0\"). "


def _routes(name: str, schema) -> None:
    def read():
        found, version = rules.versioned(runtime().db, name)
        return found, 200, {"ETag": concurrency.etag(version)}

    def replace(values):
        found, version = rules.replace(runtime(), name, values, concurrency.expected_versions())
        return found, 200, {"ETag": concurrency.etag(version)}

    read.__name__, replace.__name__ = f"read_{name}_rules", f"replace_{name}_rules"
    read.__doc__ = f"The {name} rules in force."
    replace.__doc__ = f"Replace the {name} rules; fields left out take their defaults. Effective at once."
    blp.route(f"/{name}", methods=["GET"])(
        require_user("admin", "manager")(blp.response(200, schema)(read)))
    blp.route(f"/{name}", methods=["PUT"])(
        require_user("admin")(idempotent(concurrency.documented(when=DEFAULTS_COUNT)(
            blp.arguments(schema)(blp.response(200, schema)(replace))))))


for _name, _schema in rules.SCHEMAS.items():
    _routes(_name, _schema)

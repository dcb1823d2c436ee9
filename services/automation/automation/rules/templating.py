"""The shipped rule templates: listed, and instantiated into a draft rule with their parameters."""
from __future__ import annotations

import marshmallow as ma
from flask import g

from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.kernel.refusals import Invalid, NotFound
from crm_common.web import Blueprint, runtime

from ..engine import templates
from . import store
from .routes import with_etag
from .schemas import RuleOut, TemplateList

blp = Blueprint("rule-templates", __name__, url_prefix="/v1/rule-templates", description="Rules shipped as templates")


class Params(ma.Schema):
    """The template's parameters (GET /v1/rule-templates gives each template's schema of them)."""
    class Meta:
        unknown = ma.INCLUDE


@blp.route("", methods=["GET"])
@require_user("admin")
@blp.response(200, TemplateList)
def list_templates():
    return {"items": [{"name": name, **t} for name, t in templates.TEMPLATES.items()]}


@blp.route("/<name>:instantiate", methods=["POST"])
@require_user("admin")
@idempotent
@blp.arguments(Params)
@blp.response(201, RuleOut)
def instantiate(params, name):
    """A draft rule made from the template; activate it when its dry run looks right."""
    if name not in templates.TEMPLATES:
        raise NotFound("no such template")
    found = templates.params_problems(name, params)
    if found:
        raise Invalid("the template's parameters are not valid", errors=found)
    return with_etag(store.create(runtime(), templates.instantiate(name, params), g.principal.user_id), 201)

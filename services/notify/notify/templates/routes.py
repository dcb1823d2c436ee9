"""Templates: managers and admins write them; a preview renders one for a given recipient."""
from __future__ import annotations

from flask import g

from crm_common.auth import require_user
from crm_common.kernel.refusals import NotFound
from crm_common.web import runtime

from ..api import admin as blp
from ..contacts import store as contacts
from . import render, store, variables
from .schemas import PreviewIn, PreviewOut, TemplateIn, TemplateOut

WRITERS = ("manager", "admin")


def _template(template_id: str) -> dict:
    found = store.get(runtime(), template_id)
    if found is None:
        raise NotFound("no such template")
    return found


@blp.route("/templates", methods=["POST"])
@require_user(*WRITERS)
@blp.arguments(TemplateIn)
@blp.response(201, TemplateOut)
def create_template(body: dict):
    """A template of a message kind in zh or en; placeholders `{{ contact.name }}` and the like
    (an unknown one: 422 naming `subject` or `body`)."""
    return store.create(runtime(), body, g.principal.user_id)


@blp.route("/templates", methods=["GET"])
@require_user()
@blp.response(200, TemplateOut(many=True))
def list_templates():
    return list(runtime().db.templates.find().sort("created_at", -1).limit(500))


@blp.route("/templates/<template_id>", methods=["GET"])
@require_user()
@blp.response(200, TemplateOut)
def get_template(template_id: str):
    return _template(template_id)


@blp.route("/templates/<template_id>:preview", methods=["POST"])
@require_user()
@blp.arguments(PreviewIn)
@blp.response(200, PreviewOut)
def preview(body: dict, template_id: str):
    """The template rendered for one recipient the caller may see, as it would be sent."""
    rt, template = runtime(), _template(template_id)
    contacts.visible(rt, g.principal, body["contact_id"])
    values = variables.for_contact(rt, body["contact_id"], customer_id=body.get("customer_id"),
                                   opportunity_id=body.get("opportunity_id"), sender_id=g.principal.user_id)
    subject, text = render.render(template, values)
    return {"template_id": template_id, "contact_id": body["contact_id"], "subject": subject, "body": text}

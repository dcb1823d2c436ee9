"""Stored templates, `templates` in notify: kind, language, subject (email) or none (SMS), body."""
from __future__ import annotations

from crm_common.kernel.refusals import Refusal
from crm_common.paging import new_id

from . import render


class Unrenderable(Refusal):
    """A template that could not be rendered as written (422, naming `subject` or `body`)."""
    status = 422


def check(body: dict) -> None:
    """Refuse (Invalid, named field) a template naming a variable the product does not know."""
    errors = [{"field": field, "message": f"unknown variable: {', '.join(wrong)}"}
              for field in ("subject", "body") for wrong in [render.unknown(body.get(field))] if wrong]
    if errors:
        raise Unrenderable("the template names variables that do not exist", reason="unknown_variable", errors=errors)


def create(rt, body: dict, by: str) -> dict:
    check(body)
    now = rt.clock.now()
    template = {"_id": new_id(), "kind": body["kind"], "language": body["language"],
                "subject": body.get("subject"), "body": body["body"],
                "format": body.get("format") or ("html" if body.get("subject") is not None else "text"),
                "created_by": by, "created_at": now}
    rt.db.templates.insert_one(template)
    return template


def get(rt, template_id: str, session=None) -> dict | None:
    return rt.db.templates.find_one({"_id": template_id}, session=session)


def for_kind(rt, kind: str, language: str, session=None) -> dict | None:
    """The newest template of `kind` in `language`, else in the other language."""
    for lang in (language, "zh" if language == "en" else "en"):
        found = list(rt.db.templates.find({"kind": kind, "language": lang}, session=session).sort("created_at", -1).limit(1))
        if found:
            return found[0]
    return None

"""Sequences as an admin or manager saves them: every step's template must exist, speak the sequence's
one language and fit its channel (an email needs a subject), and be a template meant for marketing."""
from __future__ import annotations

from crm_common.kernel.refusals import Invalid, NotFound
from crm_common.paging import new_id

from ..templates import store as templates

NOT_MARKETING = ("birthday_greeting", "anniversary_greeting", "quote_sent", "contract_sent")


def create(rt, body: dict, user_id: str, department_path: list) -> dict:
    language = None
    for n, step in enumerate(body["steps"]):
        field = f"steps.{n}.template_id"
        template = templates.get(rt, step["template_id"])
        if template is None:
            raise Invalid.field(field, "no such template")
        if template.get("kind") in NOT_MARKETING:
            raise Invalid.field(field, f"a {template['kind']} template is not for a sequence")
        if step["channel"] == "email" and not template.get("subject"):
            raise Invalid.field(field, "an email step needs a template with a subject")
        language = language or template.get("language")
        if template.get("language") != language:
            raise Invalid.field(field, f"the sequence speaks {language}; this template is {template.get('language')}")
    sequence = {"_id": new_id(), **body, "language": language, "created_by": user_id,
                "department_path": list(department_path), "created_at": rt.clock.now()}
    rt.db.sequences.insert_one(sequence)
    return sequence


def get(rt, sequence_id: str, session=None) -> dict:
    found = rt.db.sequences.find_one({"_id": sequence_id}, session=session)
    if found is None:
        raise NotFound("no such sequence")
    return found

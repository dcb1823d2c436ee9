"""Placeholders, not a template engine: `{{ contact.name }}` is replaced by the value and nothing
else in a template runs, so an author (or whoever got hold of an admin's account) cannot execute
code through one. Values are HTML-escaped in an email's body; a variable the product does not know is
refused when the template is saved, never found out at send time.
"""
from __future__ import annotations

import html
import re

# what a template may name: recipient, customer, opportunity and sender (variables.py fills them)
VARIABLES = frozenset({
    "contact.name", "contact.email", "contact.mobile",
    "customer.name", "customer.level", "customer.stage",
    "opportunity.name", "opportunity.amount", "opportunity.stage", "opportunity.expected_close_date",
    "sender.name", "sender.email",
})
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
_OPEN = re.compile(r"\{\{|\}\}")


def unknown(text: str | None) -> list[str]:
    """What in `text` is not a known variable: unknown names, or a `{{`/`}}` that opens none."""
    if not text:
        return []
    wrong = [name for name in PLACEHOLDER.findall(text) if name not in VARIABLES]
    if _OPEN.search(PLACEHOLDER.sub("", text)):
        wrong.append("an unclosed or empty {{ }}")
    return wrong


def is_html(template: dict) -> bool:
    """An email's body is HTML (with a subject); an SMS is plain text."""
    return template.get("format", "html" if template.get("subject") is not None else "text") == "html"


def _fill(text: str, variables: dict, escape: bool) -> str:
    def value(match):
        raw = variables.get(match.group(1))
        shown = "" if raw is None else str(raw)
        return html.escape(shown) if escape else shown
    return PLACEHOLDER.sub(value, text)


def render(template: dict, variables: dict) -> tuple[str | None, str]:
    """(subject, body) for one recipient; `variables` maps "contact.name" and the like to values."""
    subject = template.get("subject")
    return (_fill(subject, variables, False) if subject is not None else None,
            _fill(template["body"], variables, is_html(template)))

"""A contact's row at send time (deliveries/outbound.py): checked again, since an opt-out, a bounce
or a withdrawn consent since queueing stops a marketing message; an email goes as HTML (the
template's body) with a plain-text part, and a marketing one gets its unsubscribe headers
(RFC 8058) and the link in its body."""
from __future__ import annotations

import html
import re

from . import outbox, store, unsubscribe

REFUSED = "refused"  # a delivery's status: checked at send time and not sent (its reason in last_error)
FOOTER = {"zh": "退订", "en": "Unsubscribe"}
_TAG = re.compile(r"<[^>]+>")


def is_contact_row(row: dict) -> bool:
    return (row.get("recipient") or {}).get("kind") == "contact"


def prepared(rt, row: dict) -> tuple[dict | None, str | None]:
    """(the row as sent, None), or (None, why it may not go now)."""
    contact_id = row["recipient"]["contact_id"]
    contact = store.get(rt, contact_id)
    refused = outbox.refusal(rt, contact, row["channel"], row.get("marketing", False))
    if refused:
        return None, refused
    if row["channel"] != "email":
        return row, None
    text, page = _parts(row["body"])
    if row.get("marketing"):
        url, words = unsubscribe.link(rt, contact_id, "email"), FOOTER.get(contact.get("language"), FOOTER["zh"])
        text += f"\n\n{words}: {url}"
        page += f'\n<p><a href="{html.escape(url)}">{words}</a></p>'
        row = {**row, "headers": {"List-Unsubscribe": f"<{url}>",
                                  "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}
    return {**row, "text": text, "html": page}, None


def _parts(body: str) -> tuple[str, str]:
    """(plain text, HTML) of a body written as HTML, or as plain lines."""
    if _TAG.search(body):
        return html.unescape(_TAG.sub("", body)), body
    return html.unescape(body), "<br>\n".join(body.splitlines())

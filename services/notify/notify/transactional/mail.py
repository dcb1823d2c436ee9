"""A quote marked sent (crm.quote.sent) mails its customer's primary contact, the quote's PDF attached;
a contract finally approved (crm.contract.approved with `final`: the customer service has no event of
its own for "sent", and an approved contract is the one that goes out to be signed) mails "合同已在途中，
请注意查收". Transactional: no consent needed, and an opt-out of marketing does not stop it, but a
bounced address does (contacts/outbox.py decides). Once per quote or contract and contact (the key)."""
from __future__ import annotations

from bson import Binary

from ..greetings import defaults
from ..templates import render, variables
from ..contacts import outbox
from . import pdf


def primary_contact(rt, session, customer_id: str) -> dict | None:
    """The customer's contact marked primary, else its first (contact ids grow with their making)."""
    found = list(rt.db.contacts.find({"customer_id": customer_id, "kind": "customer_contact",
                                      "removed": {"$ne": True}}, session=session).sort("_id", 1))
    return next((c for c in found if c.get("primary")), found[0] if found else None)


def quote_sent(rt, session, data: dict) -> str | None:
    attachment = {"filename": f"quote-{data['quote_id']}.pdf", "content_type": "application/pdf",
                  "content": Binary(pdf.quote(rt, session, data))}
    return send(rt, session, data, "quote_sent", f"quote:{data['quote_id']}", [attachment], data.get("by"))


def contract_approved(rt, session, data: dict) -> str | None:
    if not data.get("final"):
        return None  # a step of the approval: the contract is not out yet
    return send(rt, session, data, "contract_sent", f"contract:{data['contract_id']}", [], data.get("owner_id"))


def send(rt, session, data: dict, kind: str, key: str, attachments: list[dict], sender_id: str | None) -> str | None:
    contact = primary_contact(rt, session, data["customer_id"])
    if contact is None:
        return None
    template = defaults.template(rt, kind, contact.get("language"), session)
    values = variables.for_contact(rt, contact["_id"], customer_id=data["customer_id"],
                                   opportunity_id=data.get("opportunity_id"),
                                   sender_id=sender_id or data.get("owner_id"), session=session)
    subject, body = render.render(template, values)
    return outbox.queue(rt, session, contact_id=contact["_id"], channel="email", kind=kind, subject=subject,
                        body=body, marketing=False, key=f"{key}:{contact['_id']}", attachments=attachments)

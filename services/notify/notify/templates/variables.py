"""The values a template's placeholders take for one recipient: from notify's own copies (contacts,
customers, opportunities, users and their preferences), all kept from events."""
from __future__ import annotations

from ..contacts import store as contacts
from ..preferences import store as preferences


def for_contact(rt, contact_id: str, *, customer_id: str | None = None, opportunity_id: str | None = None,
                sender_id: str | None = None, session=None) -> dict:
    """"contact.name" -> value, and the rest of render.VARIABLES; what is not known is None. The sender
    is the customer's owner unless named."""
    contact = contacts.get(rt, contact_id, session) or {}
    customer = rt.db.customers.find_one({"_id": customer_id or contact.get("customer_id")}, session=session) or {}
    deal = rt.db.opportunities.find_one({"_id": opportunity_id}, session=session) if opportunity_id else None
    sender_id = sender_id or customer.get("owner_id")
    sender = rt.db.users.find_one({"_id": sender_id}, session=session) if sender_id else None
    values = {"contact.name": contact.get("name"), "contact.email": contact.get("email"),
              "contact.mobile": contact.get("mobile"), "customer.name": customer.get("name"),
              "customer.level": customer.get("level"), "customer.stage": customer.get("stage")}
    values.update({f"opportunity.{k}": (deal or {}).get(k) for k in ("name", "amount", "stage", "expected_close_date")})
    values.update({"sender.name": (sender or {}).get("username"),
                   "sender.email": preferences.of(rt, [sender_id], session)[sender_id].get("email") if sender else None})
    return values


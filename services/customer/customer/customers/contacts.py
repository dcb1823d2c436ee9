"""Contacts of a customer and their identity keys (normalised phone, email, WeChat id).

The keys go into every customer event so lead-intake de-duplicates new leads
against customers; here they also stop two customers holding one contact.
The normalisation rules are crm_common.kernel.identity (DOMAIN §1), shared with lead-intake.
"""
from __future__ import annotations

from crm_common.events import parse_time
from crm_common.kernel import identity
from crm_common.kernel.identity import NotNormalisable
from crm_common.kernel.refusals import Invalid
from crm_common.paging import new_id

# Every customer event carries all its contacts: the cap keeps one event far below the broker's size limit.
MAX_PER_CUSTOMER = 50
LANGUAGES = ("zh", "en")  # the languages notify ships its templates in


class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


_NORMALISERS = {"phones": identity.phone, "emails": identity.email, "wechat_ids": identity.wechat_id}


def normalised(contact: dict) -> dict:
    """The contact with the methods it gives normalised and de-duplicated; FieldError names a bad one."""
    out = dict(contact)
    for field, normalise in _NORMALISERS.items():
        if field not in contact:
            continue
        values = []
        for index, raw in enumerate(contact.get(field) or []):
            try:
                value = normalise(raw)
            except NotNormalisable as exc:
                raise FieldError(f"{field}.{index}", str(exc)) from exc
            if value and value not in values:
                values.append(value)
        out[field] = values
    return out


def check_count(contacts: list) -> None:
    """Refuse (Invalid, 400) naming `contacts` a customer who would hold more than MAX_PER_CUSTOMER of them
    (a limit is bad input, answered like every other)."""
    if len(contacts) > MAX_PER_CUSTOMER:
        raise Invalid(f"a customer has at most {MAX_PER_CUSTOMER} contacts",
                      errors=[{"field": "contacts", "message": f"at most {MAX_PER_CUSTOMER} per customer"}])


def complete(contact: dict) -> dict:
    """A stored contact: an id and every method list present."""
    return {"phones": [], "emails": [], "wechat_ids": [], **contact, "contact_id": contact.get("contact_id") or new_id()}


def identity_keys(contacts: list[dict]) -> list[str]:
    """`phone:+86...`, `email:...`, `wechat:...`: the keys one contact method is known by."""
    return sorted({key for c in contacts for key in identity.identity_keys(
        c.get("phones", []), c.get("emails", []), c.get("wechat_ids", []))})


def identity_view(contact: dict) -> dict:
    """The part of a contact other services keep."""
    emails, phones = contact.get("emails", []), contact.get("phones", [])
    return {"contact_id": contact.get("contact_id", ""), "name": contact.get("name") or "",
            "phones": phones, "emails": emails, "wechat_ids": contact.get("wechat_ids", []),
            # where notify sends a message to the person (its email, its text messages)
            "email": emails[0] if emails else None, "mobile": identity.mobile(phones),
            # how notify writes to the person: its language and time zone, and who gets transactional mail
            "language": contact.get("language"), "timezone": contact.get("timezone"),
            "primary": bool(contact.get("primary"))}


def one_primary(people: list[dict], chosen: dict) -> None:
    """A contact marked primary is the customer's one: the others lose the mark."""
    if chosen.get("primary"):
        for c in people:
            if c is not chosen:
                c.pop("primary", None)


def has_contact_method(contacts: list[dict]) -> bool:
    return bool(identity_keys(contacts))


def unsubscribed(rt, session, data: dict) -> None:
    """crm.contact.unsubscribed (notify): the contact opted out of marketing on a channel; shown on the
    contact as `unsubscribed: {channel: at}`, the first time kept. A lead's opt-out names no customer."""
    if not data.get("customer_id"):
        return
    channel, query = data["channel"], {"_id": data["customer_id"], "contacts.contact_id": data["contact_id"]}
    customer = rt.db.customers.find_one(query, {"contacts": 1}, session=session)
    people = (customer or {}).get("contacts", [])
    person = next((c for c in people if c.get("contact_id") == data["contact_id"]), None)
    if person is None or channel in (person.get("unsubscribed") or {}):
        return
    person["unsubscribed"] = {**(person.get("unsubscribed") or {}), channel: parse_time(data["unsubscribed_at"])}
    rt.db.customers.update_one(query, {"$set": {"contacts": people}}, session=session)


def keep_opt_outs(before: dict, after: dict) -> None:
    """An edit of the contacts keeps what notify said of them: an opt-out is the person's, not the editor's."""
    kept = {c.get("contact_id"): c["unsubscribed"] for c in before.get("contacts", []) if c.get("unsubscribed")}
    for c in after.get("contacts", []):
        if c.get("contact_id") in kept and not c.get("unsubscribed"):
            c["unsubscribed"] = kept[c["contact_id"]]

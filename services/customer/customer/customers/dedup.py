"""查重 when a customer is entered or edited, by hand or by import (DOMAIN §1).

Exact duplicates: a contact method another customer holds (contact_keys decide races), or the same
company key with the same contact name. A same-company match without the name is only possible:
the customer is made, and the answer names those the user may see, to merge or keep apart."""
from __future__ import annotations

from crm_common import queries
from crm_common.kernel import identity
from crm_common.kernel.refusals import Conflict

from . import contacts, lead_keys

COMPANY_CONTACT = "company_contact:"  # the lead key of a company with a contact name (kernel.identity)


def company_names(customer: dict | None) -> set[tuple[str, str]]:
    """(company key, contact name) pairs: each is an identity of its own, as a contact method is."""
    if not customer:
        return set()
    company = identity.company_key(customer.get("name"))
    names = {identity.person_name(c.get("name") or "") for c in customer.get("contacts", [])} - {""}
    return {(company, name) for name in names} if company else set()


def same_company_and_name(rt, session, customer: dict, pairs: set) -> list[tuple[str, str]]:
    """(key, customer id) for other customers with one of `pairs` (company key and contact name)."""
    found = []
    for company in sorted({c for c, _ in pairs}):
        names = {n for c, n in pairs if c == company}
        others = rt.db.customers.find({"company_key": company, "_id": {"$ne": customer["_id"]}},
                                      {"contacts.name": 1}, session=session).limit(20)
        for other in others:
            if names & {identity.person_name(c.get("name") or "") for c in other.get("contacts", [])}:
                found.append((f"company:{company}+name", other["_id"]))
    return found


def exact_matches(rt, session, customer: dict) -> list[tuple[str, str]]:
    """(key, customer id) of every exact match of a customer not stored yet."""
    keys = contacts.identity_keys(customer["contacts"])
    found = [(k["_id"], k["customer_id"]) for k in rt.db.contact_keys.find({"_id": {"$in": keys}}, session=session)]
    return found + same_company_and_name(rt, session, customer, company_names(customer))


def same_company(rt, session, customer: dict, visible: dict | None, limit: int = 10) -> dict | None:
    """Other customers with the same company key: the flag `possible_duplicates`, naming those in `visible`."""
    company = identity.company_key(customer["name"])
    if not company:
        return None
    found = [c["_id"] for c in rt.db.customers.find({"company_key": company, "_id": {"$ne": customer["_id"]}},
                                                    {"_id": 1}, session=session).limit(limit)]
    if not found:
        return None
    seen = [c["_id"] for c in rt.db.customers.find(queries.both({"_id": {"$in": found}}, visible), {"_id": 1},
                                                   session=session)] if visible is not None else []
    return {"reason": "same_company_key", "company_key": company, "candidates": sorted(seen),
            "not_shown": len(found) - len(seen)}


def refuse_new(rt, session, customer: dict, before: dict | None, visible: dict | None) -> None:
    """Hand entry or an edit that brings a company-and-contact-name identity someone already holds: 409.
    Only new pairs are checked, so a move of an old customer is never refused for an old likeness."""
    pairs = company_names(customer) - company_names(before)
    if not pairs:
        return
    matched = same_company_and_name(rt, session, customer, pairs)
    if matched:
        ids = sorted({i for _, i in matched})
        seen = queries.find_one(rt.db.customers, queries.both({"_id": {"$in": ids}}, visible), session) \
            if visible is not None else None  # no scope given: name no one
        raise Conflict("a customer with the same company and contact name exists",
                       matched_keys=sorted({k for k, _ in matched}), duplicate_of=seen["_id"] if seen else None,
                       duplicate_of_kind="customer")
    added = {k for k in lead_keys.of_customer(customer) if k.startswith(COMPANY_CONTACT)}
    added -= set(lead_keys.of_customer(before)) if before else set()
    leads = lead_keys.held(rt, session, sorted(added))
    if leads:  # a lead being worked: it is converted, not entered twice
        raise Conflict("a lead with the same company and contact name exists", matched_keys=sorted(leads),
                       duplicate_of_kind="lead")

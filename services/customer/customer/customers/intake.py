"""New customers: entered by a rep, imported, or created from a converted lead."""
from __future__ import annotations

from ..opportunities import store as opportunities
from . import customers, dedup, lead_keys


def create_manual(rt, body: dict, *, principal, scope: dict) -> dict:
    """A rep enters a customer; they own it. A contact already held by a customer is refused (防撞单)."""
    def work(session):
        owner = rt.db.users.find_one({"_id": principal.user_id}, session=session) or {
            "_id": principal.user_id, "department_path": principal.department_path}
        customer = customers.new_customer(rt, session, body, owner)
        customers.insert(rt, session, customer, by=principal.user_id, visible=scope)
        return flagged(rt, session, customer, scope)
    return rt.transaction(work)


def flagged(rt, session, customer: dict, scope: dict) -> dict:
    """The customer as answered to whoever entered it, with `possible_duplicates` when another customer
    has the same company key (not the same contact name: that is refused)."""
    similar = dedup.same_company(rt, session, customer, scope)
    return {**customer, "possible_duplicates": similar} if similar else customer


def create_from_lead(rt, session, lead: dict) -> None:
    """Handle crm.lead.converted. A second conversion event of one lead changes nothing.

    lead-intake has already de-duplicated the lead, so a contact key held by
    another customer is not a reason to refuse: the customer is created anyway.
    """
    lead_keys.forget(rt, session, lead["lead_id"])  # its contacts are the customer's now
    if rt.db.customers.find_one({"source_lead_id": lead["lead_id"]}, {"_id": 1}, session=session):
        return
    owner = rt.db.users.find_one({"_id": lead["owner_id"]}, session=session) or {"_id": lead["owner_id"]}
    contact = {"name": lead.get("name") or "", "phones": lead.get("phones", []),
               "emails": lead.get("emails", []), "wechat_ids": lead.get("wechat_ids", []),
               **{k: lead[k] for k in ("title", "birthday") if lead.get(k)}}
    fields = {"name": lead.get("company") or lead.get("name") or lead["lead_id"], "contacts": [contact],
              "city": lead.get("city"), "industry": lead.get("industry"), "source": "lead",
              **{k: lead[k] for k in ("province", "note") if lead.get(k)}}
    fields["kind"] = "company" if lead.get("company") else "person"
    customer = customers.new_customer(rt, session, fields, owner, source_lead_id=lead["lead_id"])
    by = lead.get("converted_by") or "system"
    deal = opportunities.new(rt, session, customer, {"source_lead_id": lead["lead_id"]})  # and its first deal
    customer.update(opportunities.rules.customer_fields([deal]))
    customers.insert(rt, session, customer, by=by, strict_keys=False)
    opportunities.write(rt, session, None, deal, [opportunities.created(rt, session, deal, by)])

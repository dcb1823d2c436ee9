"""Customers: created from converted leads (idempotently, keyed by lead id) and read in scope."""
from __future__ import annotations

from crm_common.paging import new_id

FIRST_STAGE = "lead_acquired"
DEFAULT_LEVEL = "C"


def create_from_lead(rt, session, lead: dict) -> None:
    """Handle crm.lead.converted. A second conversion event of one lead changes nothing."""
    if rt.db.customers.find_one({"source_lead_id": lead["lead_id"]}, session=session):
        return
    owner = rt.db.users.find_one({"_id": lead["owner_id"]}, session=session) or {}
    now = rt.clock.now()
    contact = {"name": lead.get("name") or "", "phones": lead.get("phones", []),
               "emails": lead.get("emails", []), "wechat_ids": lead.get("wechat_ids", [])}
    customer = {
        "_id": new_id(), "name": lead.get("company") or lead.get("name"), "owner_id": lead["owner_id"],
        "department_path": owner.get("department_path", []), "collaborator_ids": [],
        "stage": FIRST_STAGE, "level": DEFAULT_LEVEL, "source_lead_id": lead["lead_id"],
        "contacts": [contact], "created_at": now, "updated_at": now, "version": 1,
    }
    rt.db.customers.insert_one(customer, session=session)
    rt.publish(session, rt.event("crm.customer.created", customer["_id"], {
        "customer_id": customer["_id"], "name": customer["name"], "owner_id": customer["owner_id"],
        "department_path": customer["department_path"], "stage": FIRST_STAGE, "level": DEFAULT_LEVEL,
        "source_lead_id": lead["lead_id"], "contacts": [contact], "created_at": now.isoformat(),
    }))

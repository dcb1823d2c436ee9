"""The in-app inbox. Each item has an occurrence key, so a redelivered event adds nothing."""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_common.paging import new_id


def deliver(rt, session, *, key: str, user_id: str, kind: str, title: str, body: str,
            customer_id: str | None = None, lead_id: str | None = None) -> None:
    item = {"_id": new_id(), "key": key, "user_id": user_id, "kind": kind, "title": title, "body": body,
            "customer_id": customer_id, "lead_id": lead_id, "created_at": rt.clock.now(), "read_at": None}
    try:
        rt.db.inbox.insert_one(item, session=session)
    except DuplicateKeyError:
        pass  # this occurrence was delivered already


def new_customer(rt, session, customer: dict) -> None:
    """Handle crm.customer.created: tell the owner the customer is theirs now."""
    deliver(rt, session, key=f"customer-created:{customer['customer_id']}", user_id=customer["owner_id"],
            kind="customer_assigned", customer_id=customer["customer_id"],
            title=f"New customer: {customer['name']}",
            body="The customer is yours now. Make the first contact and record it as a follow-up.")


def reclaimed(rt, session, event: dict) -> None:
    """Handle crm.pool.customer_reclaimed: tell the previous owner why the customer left them."""
    deliver(rt, session, key=f"reclaimed:{event['customer_id']}:{event['reclaimed_at']}",
            user_id=event["previous_owner_id"], kind="customer_reclaimed", customer_id=event["customer_id"],
            title="A customer went back to the pool",
            body=f"Reclaimed by the pool rules ({event['reason']}). Any entitled rep may claim it now.")


def lead_assigned(rt, session, event: dict) -> None:
    """Handle crm.lead.assigned: the new owner should respond within 24 hours."""
    deliver(rt, session, key=f"lead-assigned:{event['lead_id']}:{event['owner_id']}:{event['assigned_at']}",
            user_id=event["owner_id"], kind="lead_assigned", lead_id=event["lead_id"],
            title="A new lead is yours", body=f"Respond by {event['respond_by']} (within 24 hours of assignment).")


def lead_resubmitted(rt, session, event: dict) -> None:
    """Handle crm.lead.resubmitted: "your customer came back through channel X"."""
    if not event.get("owner_id"):
        return  # an unassigned lead has nobody to tell yet
    customer_id = event["record_id"] if event["record_kind"] == "customer" else None
    lead_id = event["record_id"] if event["record_kind"] == "lead" else None
    deliver(rt, session, key=f"resubmitted:{event['record_id']}:{event['received_at']}", user_id=event["owner_id"],
            kind="lead_resubmitted", customer_id=customer_id, lead_id=lead_id,
            title=f"Your {event['record_kind']} came back through {event.get('channel') or 'a channel'}",
            body="They submitted their details again; it is recorded as a touchpoint. A good moment to call.")

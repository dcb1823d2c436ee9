"""The in-app inbox. Each item has an occurrence key, so a redelivered event adds nothing."""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_common.paging import new_id


def deliver(rt, session, *, key: str, user_id: str, kind: str, title: str, body: str,
            customer_id: str | None = None) -> None:
    item = {"_id": new_id(), "key": key, "user_id": user_id, "kind": kind, "title": title, "body": body,
            "customer_id": customer_id, "created_at": rt.clock.now(), "read_at": None}
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

"""A deleted customer's offers are withdrawn: its deals' drafts and sent quotes still in date become
`withdrawn`, so no open quote stays behind a customer that is gone (an accepted, rejected or expired one
keeps what it was)."""
from __future__ import annotations

from . import pricing


def of_customer(rt, session, customer_id: str, *, by: str, at) -> int:
    """Withdraw the customer's open quotes, in the deletion's transaction; how many."""
    open_now = {"customer_id": customer_id, "$or": [
        {"status": pricing.DRAFT}, {"status": pricing.SENT, "valid_until": {"$gte": at.date().isoformat()}}]}
    return rt.db.quotes.update_many(open_now, {"$set": {
        "status": pricing.WITHDRAWN, "withdrawn_at": at, "withdrawn_by": by, "withdrawn_reason": "customer_deleted",
        "updated_at": at}, "$inc": {"version": 1}}, session=session).modified_count

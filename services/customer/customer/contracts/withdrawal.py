"""A deleted customer's contracts keep their history; those not decided yet (a draft, or one waiting for
approval) are withdrawn, so they leave the approvers' lists (GET /v1/approvals) and nobody is asked to
decide on a customer that is gone."""
from __future__ import annotations

from . import approval


def of_customer(rt, session, customer_id: str, *, by: str, at) -> int:
    """Withdraw the customer's undecided contracts, in the deletion's transaction, each decision recorded."""
    undecided = {"customer_id": customer_id, "status": {"$in": list(approval.UNDECIDED)}}
    return rt.db.contracts.update_many(undecided, {
        "$set": {"status": approval.WITHDRAWN, "awaiting": None},
        "$push": {"decisions": {"decision": "withdrawn", "step": None, "by": by, "at": at,
                                "comment": "customer deleted"}},
        "$inc": {"version": 1}}, session=session).modified_count

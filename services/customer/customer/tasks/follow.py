"""A task is seen as its record is: when a customer's owner, collaborators or department change, its open
tasks follow (called from the customer's save, in its transaction)."""
from __future__ import annotations

from ..opportunities import rules as deals
from . import rules


def follow_customer(rt, session, customer: dict) -> None:
    """A customer's owner, collaborators or department moved: its open tasks are seen as it now is."""
    for task in rt.db.tasks.find({"customer_id": customer["_id"], "status": "open"}, session=session):
        user = rt.db.users.find_one({"_id": task["assignee_id"]}, session=session) or {"_id": task["assignee_id"]}
        scope = rules.scope_of(record_scope(rt, session, task, customer), user)
        if any(task.get(k) != v for k, v in scope.items()):
            rt.db.tasks.update_one({"_id": task["_id"]}, {"$set": scope}, session=session)


def record_scope(rt, session, task: dict, customer: dict | None = None) -> dict:
    kind, record_id = task["related"]["kind"], task["related"]["id"]
    if kind == "opportunity":
        deal = rt.db.opportunities.find_one({"_id": record_id}, session=session) or {}
        if customer is not None:  # the deal's own copy of its scope is refreshed after this, in the same save
            return {"owner_id": customer.get("owner_id"), **deals.scope_of(customer)}
        return deal
    if customer is None and task.get("customer_id"):
        customer = rt.db.customers.find_one({"_id": task["customer_id"]}, session=session)
    return customer or {}

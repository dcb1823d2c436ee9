"""Which reminders a customer has pending, recomputed from notify's state copy after each of its events.

What is wanted is decided by rules.planned; this keeps the stored reminders in line with it. A
reminder's key names its occurrence (e.g. `renewal:<contract>:60d`), so recomputing the plan never
creates a second one; keys the plan no longer wants are cancelled while still pending.
"""
from __future__ import annotations

from time import monotonic

from pymongo import UpdateOne

from . import rules, settings, store


def replan(rt, session, customer: dict) -> None:
    replan_many(rt, session, [customer])


def replan_many(rt, session, customers: list[dict]) -> None:
    """Bring the customers' planned reminders in line with their state and the current settings.

    A wanted occurrence not yet known is added; one still pending (or cancelled earlier, e.g. while
    the customer sat in the pool) takes the wanted times and owner; one already sent stays sent.
    Pending planned ones no longer wanted are cancelled.
    """
    if not customers:
        return
    s, now = settings.reminder_settings(rt, session), rt.clock.now()
    ids = [c["_id"] for c in customers]
    contracts: dict = {}
    for contract in rt.db.contracts.find({"customer_id": {"$in": ids}, "end_date": {"$ne": None}}, session=session):
        contracts.setdefault(contract["customer_id"], []).append(contract)
    wanted = [r for c in customers for r in rules.planned(s, now, c, contracts.get(c["_id"], []))]
    ops = []
    for r in wanted:
        ops.append(UpdateOne({"_id": r["_id"], "status": {"$in": [store.PENDING, store.CANCELLED]}},
                             {"$set": {"status": store.PENDING, "user_id": r["user_id"], "fire_at": r["fire_at"],
                                       "due_at": r["due_at"], "data": r["data"], "customer": r["customer"]}}))
        ops.append(UpdateOne({"_id": r["_id"]}, {"$setOnInsert": store.insert_fields(r, now)}, upsert=True))
    if ops:
        rt.db.reminders.bulk_write(ops, ordered=True, session=session)
    rt.db.reminders.update_many({"customer_id": {"$in": ids}, "status": store.PENDING, "kind": {"$in": rules.PLANNED},
                                 "_id": {"$nin": [r["_id"] for r in wanted]}},
                                {"$set": {"status": store.CANCELLED}}, session=session)


def cancel_all(rt, session, customer_id: str, *, approvals: bool = False) -> None:
    # a task's reminders follow the task's own events (it stays with its assignee); an approval waits for
    # the contract's decision, wherever its customer is, unless the customer is gone (`approvals`)
    rt.db.reminders.update_many({"customer_id": customer_id, "status": store.PENDING, "task_id": None,
                                 **({} if approvals else {"kind": {"$ne": "approval"}})},
                                {"$set": {"status": store.CANCELLED}}, session=session)


def follow_settings(rt, *, batch: int = 500, max_seconds: float = 60.0) -> dict:
    """After an admin changed the reminder settings: re-plan every customer, and move the pending
    escalation steps, so nothing pending still follows the old cadences or offsets.

    Resumable: the walk keeps its place in `settings.replan`, so a large one spans several runs of
    the scheduling job (which calls this first) and a replica that dies mid-walk loses nothing.
    """
    target = settings.reminder_settings(rt).get("generation", 0)
    progress = rt.db.settings.find_one({"_id": "replan"}) or {}
    if progress.get("done", 0) >= target:
        return {"replanned": 0}
    after = progress.get("after") if progress.get("generation") == target else None
    stop, replanned = monotonic() + max_seconds, 0
    while monotonic() < stop:
        query = {"owner_id": {"$ne": None}, "deleted": {"$ne": True}, **({"_id": {"$gt": after}} if after else {})}
        customers = list(rt.db.customers.find(query).sort("_id", 1).limit(batch))
        if not customers:
            rt.transaction(lambda session: _move_escalations(rt, session))
            rt.db.settings.update_one({"_id": "replan"}, {"$set": {"done": target, "generation": target,
                                                                   "after": None}}, upsert=True)
            break
        rt.transaction(lambda session: replan_many(rt, session, customers))
        after, replanned = customers[-1]["_id"], replanned + len(customers)
        rt.db.settings.update_one({"_id": "replan"}, {"$set": {"generation": target, "after": after}}, upsert=True)
    return {"replanned": replanned}


def _move_escalations(rt, session) -> None:
    """Every pending escalation step to the time the current settings give it (rules.moved_escalation)."""
    s = settings.reminder_settings(rt, session)
    ops = []
    for r in rt.db.reminders.find({"kind": "overdue", "status": store.PENDING}, session=session):
        fire = rules.moved_escalation(r, s)
        change = {"status": store.CANCELLED} if fire is None else {"fire_at": fire}
        ops.append(UpdateOne({"_id": r["_id"], "status": store.PENDING}, {"$set": change}))
    if ops:
        rt.db.reminders.bulk_write(ops, ordered=False, session=session)

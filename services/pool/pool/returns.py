"""Return to the pool by the owner (主动退回) and transfer between pools."""
from __future__ import annotations

from crm_common.errors import Problem

from . import entries, movements, pools
from .entries import IN_POOL, OWNED


def give_back(rt, customer_id: str, body: dict, principal) -> dict:
    """The owner returns a customer, with a reason, to a pool of their choice or their department's."""
    now = rt.clock.now()

    def work(session):
        entry = rt.db.pool_entries.find_one({"_id": customer_id, "status": OWNED}, session=session)
        if entry is None or entry.get("owner_id") != principal.user_id:
            raise Problem(404, "you own no such customer")  # the same answer whoever owns it
        target = body.get("pool_id") or pools.for_department(rt, entry.get("department_path"), session)
        pools.get(rt, target, session)
        movement = movements.new(kind="return", customer_id=customer_id, pool_id=target, actor=principal.user_id,
                                 at=now, user_id=principal.user_id, from_owner_id=principal.user_id,
                                 reason=body["reason"], departments=[entry.get("department_path")])
        changes = {"status": IN_POOL, "owner_id": None, "previous_owner_id": principal.user_id, "reclaimed_at": now,
                   "pool_id": target, "pending": {"request_id": movement["request_id"], "kind": "return"}}
        done = rt.db.pool_entries.update_one({"_id": customer_id, "status": OWNED, "owner_id": principal.user_id},
                                             {"$set": changes}, session=session)
        if done.modified_count == 0:
            raise Problem(409, "the customer changed meanwhile; try again", reason="taken")
        entries.save(rt, session, customer_id, {})
        rt.db.movements.insert_one(movement, session=session)
        rt.publish(session, movements.request_event(rt, movement, {"owner_id": principal.user_id}))
        return {"customer_id": customer_id, "pool_id": target, "status": IN_POOL}
    return rt.transaction(work)


def transfer(rt, pool_id: str, customer_id: str, to_pool_id: str, principal) -> dict:
    """An admin (or the source pool's admin) moves an in-pool customer to another pool; no owner changes."""
    now = rt.clock.now()

    def work(session):
        source = pools.get(rt, pool_id, session)
        if not pools.may_administer(principal, source):
            raise Problem(403, "only an admin or this pool's admins transfer its customers")
        if to_pool_id == pool_id:
            raise Problem(400, "the customer is in this pool already", errors=[{"field": "to_pool_id",
                                                                                "message": "same pool"}])
        try:
            pools.get(rt, to_pool_id, session)
        except Problem:
            raise Problem(400, "no such pool", errors=[{"field": "to_pool_id", "message": "unknown"}]) from None
        entry = rt.db.pool_entries.find_one({"_id": customer_id}, {"department_path": 1}, session=session) or {}
        movement = movements.new(kind="transfer", customer_id=customer_id, pool_id=pool_id, to_pool_id=to_pool_id,
                                 actor=principal.user_id, at=now, state=movements.DONE,
                                 reason=f"moved to pool {to_pool_id}", departments=[entry.get("department_path")])
        done = rt.db.pool_entries.update_one({"_id": customer_id, "status": IN_POOL, "pool_id": pool_id},
                                             {"$set": {"pool_id": to_pool_id}}, session=session)
        if done.modified_count == 0:
            raise Problem(409, "the customer is not in this pool", reason="taken")
        rt.db.movements.insert_one(movement, session=session)
        # The customer service shows the pool a customer is in; it still checks nobody owns it.
        rt.publish(session, movements.request_event(rt, movement, {"owner_id": None}),
                   movements.fact_event(rt, movement))
        return {"customer_id": customer_id, "pool_id": to_pool_id}
    return rt.transaction(work)

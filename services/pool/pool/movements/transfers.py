"""Transfer between pools: an in-pool customer moves to another pool, and no owner changes."""
from __future__ import annotations

from crm_common.kernel.refusals import Conflict, Forbidden, Invalid, NotFound

from ..pools import membership, pools
from ..tracking.entries import IN_POOL
from . import log


def transfer(rt, pool_id: str, customer_id: str, to_pool_id: str, principal) -> dict:
    """An admin (or the source pool's admin) moves an in-pool customer to another pool; no owner changes."""
    now = rt.clock.now()

    def work(session):
        source = pools.get(rt, pool_id, session)
        if not membership.may_administer(principal, source):
            raise Forbidden("only an admin or this pool's admins transfer its customers")
        if to_pool_id == pool_id:
            raise Invalid.field("to_pool_id", "same pool", "the customer is in this pool already")
        try:
            pools.get(rt, to_pool_id, session)
        except NotFound:
            raise Invalid.field("to_pool_id", "unknown", "no such pool") from None
        entry = rt.db.pool_entries.find_one({"_id": customer_id}, {"department_path": 1}, session=session) or {}
        movement = log.new(kind="transfer", customer_id=customer_id, pool_id=pool_id, to_pool_id=to_pool_id,
                           actor=principal.user_id, at=now, state=log.DONE,
                           reason=f"moved to pool {to_pool_id}", departments=[entry.get("department_path")])
        done = rt.db.pool_entries.update_one({"_id": customer_id, "status": IN_POOL, "pool_id": pool_id},
                                             {"$set": {"pool_id": to_pool_id}}, session=session)
        if done.modified_count == 0:
            raise Conflict("the customer is not in this pool", reason="taken")
        rt.db.movements.insert_one(movement, session=session)
        # The customer service shows the pool a customer is in; it still checks nobody owns it.
        rt.publish(session, log.request_event(rt, movement, {"owner_id": None}),
                   log.fact_event(rt, movement))
        return {"customer_id": customer_id, "pool_id": to_pool_id}
    return rt.transaction(work)

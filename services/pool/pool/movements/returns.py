"""Return to the pool by the owner (主动退回), with a reason."""
from __future__ import annotations

from crm_common.kernel.refusals import Conflict, NotFound

from ..pools import pools
from ..tracking import entries
from ..tracking.entries import IN_POOL, OWNED
from . import log


def give_back(rt, customer_id: str, body: dict, principal) -> dict:
    """The owner returns a customer, with a reason, to a pool of their choice or their department's."""
    now = rt.clock.now()

    def work(session):
        entry = rt.db.pool_entries.find_one({"_id": customer_id, "status": OWNED}, session=session)
        if entry is None or entry.get("owner_id") != principal.user_id:
            raise NotFound("you own no such customer")  # the same answer whoever owns it
        target = body.get("pool_id") or pools.for_department(rt, entry.get("department_path"), session)
        pools.get(rt, target, session)
        movement = log.new(kind="return", customer_id=customer_id, pool_id=target, actor=principal.user_id,
                           at=now, user_id=principal.user_id, from_owner_id=principal.user_id,
                           reason=body["reason"], departments=[entry.get("department_path")])
        changes = {"status": IN_POOL, "owner_id": None, "previous_owner_id": principal.user_id, "reclaimed_at": now,
                   "pool_id": target, "pending": {"request_id": movement["request_id"], "kind": "return"}}
        done = rt.db.pool_entries.update_one({"_id": customer_id, "status": OWNED, "owner_id": principal.user_id},
                                             {"$set": changes}, session=session)
        if done.modified_count == 0:
            raise Conflict("the customer changed meanwhile; try again", reason="taken")
        entries.save(rt, session, customer_id, {})
        rt.db.movements.insert_one(movement, session=session)
        rt.publish(session, log.request_event(rt, movement, {"owner_id": principal.user_id}))
        return {"customer_id": customer_id, "pool_id": target, "status": IN_POOL}
    return rt.transaction(work)

"""Return to the pool by the owner (主动退回), with a reason; an automation rule's return takes the same path."""
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
        movement = hand_back(rt, session, entry, target, actor=principal.user_id, reason=body["reason"], at=now)
        if movement is None:
            raise Conflict("the customer changed meanwhile; try again", reason="taken")
        return {"customer_id": customer_id, "pool_id": target, "status": IN_POOL}
    return rt.transaction(work)


def hand_back(rt, session, entry: dict, target: str, *, actor: str, reason: str, at,
              caused_by: dict | None = None) -> dict | None:
    """Put the owned `entry` in pool `target` and ask the customer service to clear its owner, if the
    owner is still the one the entry names; the movement, or None when the entry changed meanwhile."""
    owner = entry["owner_id"]
    movement = log.new(kind="return", customer_id=entry["_id"], pool_id=target, actor=actor, at=at, user_id=owner,
                       from_owner_id=owner, reason=reason, departments=[entry.get("department_path")])
    if caused_by:
        movement["caused_by"] = caused_by  # the returned event, once the owner is cleared, names the rule's run
    changes = {"status": IN_POOL, "owner_id": None, "previous_owner_id": owner, "reclaimed_at": at,
               "pool_id": target, "pending": {"request_id": movement["request_id"], "kind": "return"}}
    done = rt.db.pool_entries.update_one({"_id": entry["_id"], "status": OWNED, "owner_id": owner},
                                         {"$set": changes}, session=session)
    if done.modified_count == 0:
        return None
    entries.save(rt, session, entry["_id"], {})
    rt.db.movements.insert_one(movement, session=session)
    rt.publish(session, log.request_event(rt, movement, {"owner_id": owner}, caused_by=caused_by))
    return movement

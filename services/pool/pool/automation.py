"""An automation rule's return_to_pool, applied by the pool: the customer goes back through the owner's
own return path, only while the owner the rule saw still owns it (refused `owner_changed` otherwise),
to the rule's pool or, when it names none, to the pool of the customer's department."""
from __future__ import annotations

from crm_common import actions
from crm_common.events import caused_by
from crm_common.kernel.refusals import NotFound

from .movements import returns
from .pools import pools
from .tracking.entries import OWNED


def apply(rt, session, request: dict) -> tuple[str, object]:
    customer_id, action = request["record"].get("customer_id"), request["action"]
    expected_owner = (request.get("expected") or {}).get("owner_id")
    entry = rt.db.pool_entries.find_one({"_id": customer_id}, session=session) if customer_id else None
    if entry is None:
        return "refused", "unknown_customer"
    if entry.get("status") != OWNED or entry.get("owner_id") != expected_owner:
        return "refused", "owner_changed"
    target = action.get("pool_id") or pools.for_department(rt, entry.get("department_path"), session)
    try:
        pools.get(rt, target, session)
    except NotFound:
        return "refused", "unknown_pool"
    movement = returns.hand_back(rt, session, entry, target, actor=f"rule:{request['rule_id']}",
                                 reason=action["reason"], at=rt.clock.now(), caused_by=caused_by(request))
    if movement is None:
        return "refused", "owner_changed"
    return "applied", {"movement_id": movement["_id"], "pool_id": target, "customer_id": customer_id,
                       "previous_owner_id": expected_owner}


def handler(rt):
    """crm.automation.requested, keeping only the pool's own action types."""
    handle = actions.for_service("pool", lambda session, request: apply(rt, session, request))
    return lambda event, session: handle(rt, event, session)

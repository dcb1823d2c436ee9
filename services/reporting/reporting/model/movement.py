"""A pool movement in the read models (DOMAIN §3, §5 pool): reclaimed, claimed, returned, assigned,
transferred, one record per movement, filed under the rep it concerns."""
from __future__ import annotations

# Pool events that are movements. ownership_requested is only the pool's request (the move
# happens, or is refused, afterwards) and reclaim_warning a warning: neither moves a customer.
MOVES = ("customer_reclaimed", "customer_claimed", "customer_returned", "customer_assigned",
         "customer_transferred")


def of_event(event: dict) -> tuple[dict, str | None] | None:
    """(the movement's record, the rep it concerns) of a crm.pool.* event; None for an event that moves
    no customer. A claim or an assignment is the receiving rep's (for an assignment `by` is the manager),
    a reclaim or a return the previous owner's, a transfer between pools no rep's."""
    data, name = event["data"], event["type"].rsplit(".", 1)[1]
    if name not in MOVES:
        return None
    kind = name.removeprefix("customer_")
    if kind == "claimed" and data.get("kind") == "assign":  # the older form of an assignment
        kind = "assigned"
    rep = {"claimed": data.get("owner_id"), "assigned": data.get("owner_id"),
           "reclaimed": data.get("previous_owner_id"), "returned": data.get("previous_owner_id")}.get(kind)
    at = next((v for k, v in data.items() if k.endswith("_at")), event["time"])
    # One record per movement: a movement announced twice (as claimed kind=assign and as assigned) counts once.
    doc = {"_id": "move:" + (data.get("movement_id") or event["id"]), "kind": kind, "pool_id": data.get("pool_id"),
           "customer_id": data.get("customer_id"), "at": at, "channel": None, "campaign": None}
    return doc, rep

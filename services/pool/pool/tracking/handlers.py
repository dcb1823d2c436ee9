"""The pool's copy of each customer, kept from crm.customer events, and of users, from crm.org.

Every customer event carries the customer's snapshot, so any of them refreshes
the entry (level and lifecycle decide exemptions). The owner is the customer
service's to decide: the entry follows every owner change, whoever made it, and
converges on the customer service's answer to each of the pool's requests.
"""
from __future__ import annotations

from crm_common.events import parse_time

from ..movements import log
from ..pools import pools
from . import entries
from .entries import DELETED, IN_POOL, OWNED


def _snapshot(data: dict, entry: dict | None = None) -> dict:
    """The customer's state as the event tells it, with its version; nothing when the entry already
    shows a newer state (a late fact, applied after a redrive, carries the snapshot of its time)."""
    if _is_stale(entry, data):
        return {}
    fields = {k: data[k] for k in entries.SNAPSHOT if k in data}
    if data.get("version") is not None:
        fields["snapshot_version"] = data["version"]
    return fields


def _is_stale(entry: dict | None, data: dict) -> bool:
    held, version = (entry or {}).get("snapshot_version"), data.get("version")
    return held is not None and version is not None and version < held


def _ensure(rt, session, data: dict, at) -> dict:
    """The entry of this customer, created on the first event the pool hears of it."""
    found = rt.db.pool_entries.find_one({"_id": data["customer_id"]}, session=session)
    if found is not None:
        return found
    owner = data.get("owner_id")
    return {"_id": data["customer_id"], "customer_id": data["customer_id"], **_snapshot(data),
            "status": OWNED if owner else IN_POOL, "owned_since": at if owner else None,
            "pool_id": pools.for_department(rt, data.get("department_path"), session),
            "last_followup_at": None, "first_contact_due_at": None, "pending": None, "tracked_at": rt.clock.now()}


def refreshed(rt, session, data: dict, at_field: str | None = None) -> None:
    """Any customer event: refresh the snapshot (level, lifecycle, department ...) and re-plan."""
    at = parse_time(data[at_field]) if at_field and data.get(at_field) else rt.clock.now()
    entry = _ensure(rt, session, data, at)
    if entry.get("status") == DELETED:
        return
    changes = _snapshot(data, entry)
    if entry.get("pending") or entry["status"] == IN_POOL:
        changes.pop("owner_id", None)  # the owner moves only through owner_changed and the pool's requests
    entries.save(rt, session, entry["_id"], changes, upsert_with=entry)


def created(rt, session, data: dict) -> None:
    refreshed(rt, session, data, "created_at")


def followed_up(rt, session, data: dict) -> None:
    """A follow-up restarts the no-follow-up clock and is the first contact after a claim."""
    entry = _ensure(rt, session, data, parse_time(data["followed_up_at"]))
    if entry.get("status") == DELETED:
        return
    at = parse_time(data["followed_up_at"])
    last = entry.get("last_followup_at")
    changes = {**_snapshot(data, entry), "last_followup_at": max(at, last) if last else at,
               "first_contact_due_at": None}
    if entry.get("pending") or entry["status"] == IN_POOL:
        changes.pop("owner_id", None)
    entries.save(rt, session, entry["_id"], changes, upsert_with=entry)


def owner_changed(rt, session, data: dict) -> None:
    """Every owner change: confirm the pool's own request, or re-track a change made elsewhere."""
    at = parse_time(data["changed_at"])
    entry = _ensure(rt, session, data, at)
    if entry.get("status") == DELETED:
        return
    request_id = data.get("request_id")
    log.settle(rt, session, request_id, at=at)
    pending = entry.get("pending")
    if pending and pending["request_id"] != request_id:
        # A newer request of ours is on its way; its answer carries the truth. Keep the snapshot only.
        changes = _snapshot(data, entry)
        changes.pop("owner_id", None)
        entries.save(rt, session, entry["_id"], changes)
        return
    if pending:  # our latest request was applied: the entry already shows its outcome
        changes = {**_snapshot(data, entry), "pending": None}
        entries.save(rt, session, entry["_id"], changes, upsert_with=entry)
        return
    _adopt(rt, session, entry, data, at, by=data.get("by"))


def refused(rt, session, data: dict) -> None:
    """crm.customer.ownership_refused: the customer service kept the customer as it is; so does the pool."""
    at = parse_time(data["refused_at"])
    entry = _ensure(rt, session, data, at)
    log.settle(rt, session, data["request_id"], refused=data["reason"], at=at)
    pending = entry.get("pending")
    if entry.get("status") == DELETED or (pending and pending["request_id"] != data["request_id"]):
        return
    # The refusal says when the customer was last followed up: a follow-up this copy missed
    # (say, before the pool tracked the customer) cannot make the pool ask again and again.
    known = {}
    if data.get("last_followup_at"):
        last = parse_time(data["last_followup_at"])
        known["last_followup_at"] = max(last, entry.get("last_followup_at") or last)
    if _is_stale(entry, data):  # a late refusal: the entry already shows what came after it
        if known:
            entries.save(rt, session, entry["_id"], known)
        return
    # A refused claim or assignment: the customer left the pool some other way (say, a manager's
    # assignment in the customer service), which the movement log records as an assignment.
    from_pool = bool(pending) and pending["kind"] in ("claim", "assign")
    _adopt(rt, session, {**entry, **known, "pending": None}, data, at, by=None, restore=True, extra=known,
           from_pool=from_pool)


def _adopt(rt, session, entry: dict, data: dict, at, *, by, restore: bool = False, extra=None,
           from_pool: bool = False) -> None:
    """Make the entry show the customer service's owner. A new owner gets a full period from `at`."""
    owner = data.get("owner_id")
    changes = {**_snapshot(data, entry), **(extra or {}), "pending": None}
    if owner is None:
        changes.update(status=IN_POOL)
    elif restore and entry.get("owner_id") == owner and entry.get("status") == OWNED:
        pass  # the refused move never left the owner: their clock goes on as it was
    elif restore and entry.get("previous_owner_id") == owner and entry.get("owned_since"):
        changes.update(status=OWNED, owner_id=owner)  # back to the owner it was, with its old clock
    else:
        if entry.get("status") == IN_POOL or from_pool:
            record_outside_assignment(rt, session, entry, owner, by, at)
        changes.update(status=OWNED, owned_since=at, first_contact_due_at=None, warned=[], warned_due_at=None,
                       pool_id=pools.for_department(rt, data.get("department_path"), session))
    entries.save(rt, session, entry["_id"], changes, upsert_with=entry)


def record_outside_assignment(rt, session, entry: dict, owner: str, by, at) -> None:
    """A manager gave an in-pool customer to a rep in the customer service: that is an assignment too."""
    movement = log.new(kind="assign", customer_id=entry["_id"], pool_id=entry.get("pool_id"),
                       actor=by or "customer-service", at=at, user_id=owner, to_owner_id=owner,
                       reason="assigned in the customer service", state=log.DONE,
                       departments=[entry.get("department_path")])
    rt.db.movements.insert_one(movement, session=session)
    rt.publish(session, log.fact_event(rt, movement))


def deleted(rt, session, data: dict) -> None:
    """A deleted customer is never reclaimed nor claimed (the entry stays for the record)."""
    rt.db.pool_entries.update_one({"_id": data["customer_id"]}, {"$set": {
        "status": DELETED, "deleted_at": parse_time(data["deleted_at"]), "next_due_at": None,
        "reclaim_due_at": None}}, session=session)


def user_changed(rt, session, data: dict) -> None:
    """crm.user.created / updated: who may claim and be assigned (active, role, departments)."""
    rt.db.users.replace_one({"_id": data["user_id"]}, {
        "_id": data["user_id"], "username": data["username"], "role": data["role"],
        "department_path": data.get("department_path", []), "active": data["active"],
        "holding_limit": data.get("holding_limit")}, upsert=True, session=session)

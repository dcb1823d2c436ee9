"""Claim, assign, transfer and return: decided atomically in the pool's database, applied by the customer service.

A claim is one transaction: the rep's (rep, day) counter document is bumped
first, so two claims by one rep never run side by side; then the daily count is
read from the movement log and the holding count from the entries; then the
entry moves with a conditional update, so two reps claiming one customer write
the same document and only one commits. A refusal raises and rolls all of it
back: it uses no quota.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from crm_common.kernel import holding
from crm_common.kernel.scope import within_subtree
from crm_common.errors import Problem

from . import entries, movements, pools, rules
from .entries import IN_POOL, OWNED

# "Today" for a daily claim limit is the sales team's calendar day (China Standard Time).
BUSINESS_TZ = timezone(timedelta(hours=8))


def day_start(now: datetime) -> datetime:
    local = now.astimezone(BUSINESS_TZ)
    return datetime.combine(local.date(), time(0), BUSINESS_TZ).astimezone(timezone.utc)


def refuse(reason: str, detail: str, retry_at: datetime | None = None) -> Problem:
    extra = {"retry_at": retry_at.isoformat()} if retry_at else {}
    return Problem(409, detail, reason=reason, **extra)


DETAILS = {"taken": "the customer is not in this pool (someone else has it)",
           "cooldown": "you lost this customer recently; the previous owner must wait",
           "waiting": "this customer was reclaimed moments ago and cannot be claimed yet"}


def _user(rt, user_id: str, session=None) -> dict | None:
    return rt.db.users.find_one({"_id": user_id}, session=session)


def claim(rt, pool_id: str, customer_id: str, principal) -> dict:
    pool = pools.get(rt, pool_id)
    if not rules.is_member(pool, _user(rt, principal.user_id)):
        raise refuse("not_member", "you are not a member of this pool, or not an active user")
    now = rt.clock.now()
    counter = _day_counter(rt, principal.user_id, now)

    def work(session):
        the_rules = entries.rules_of(rt, pool_id, session)
        rt.db.claim_counters.update_one({"_id": counter}, {"$inc": {"claims": 1}}, session=session)
        entry = rt.db.pool_entries.find_one({"_id": customer_id}, session=session)
        if entry is not None and entry.get("pool_id") != pool_id and entry.get("status") == IN_POOL:
            entry = None  # in another pool: not claimable from this one
        refusal = rules.claim_refusal(entry, user_id=principal.user_id, now=now, rules=the_rules)
        if refusal:
            raise refuse(refusal[0], DETAILS[refusal[0]], refusal[1])
        if movements.claims_since(rt, session, principal.user_id, day_start(now)) >= the_rules["daily_claim_limit"]:
            raise refuse("daily_limit", f"you have made {the_rules['daily_claim_limit']} claims today, the limit",
                         day_start(now) + timedelta(days=1))
        _check_holding(rt, session, principal.user_id, the_rules)
        first_contact = now + timedelta(hours=the_rules["first_contact_hours"])
        _move_out(rt, session, entry, "claim", principal.user_id, principal.user_id, now, pool_id,
                  first_contact_due_at=first_contact)
        return {"customer_id": customer_id, "owner_id": principal.user_id, "first_contact_due_at": first_contact}
    return rt.transaction(work)


def assign(rt, pool_id: str, customer_id: str, user_id: str, principal, *, reason: str | None = None) -> dict:
    """A manager or pool admin gives an in-pool customer to an active rep (被动分配)."""
    pool = pools.get(rt, pool_id)
    if not (pools.may_administer(principal, pool) or principal.role == "manager"):
        raise Problem(403, "only a manager, an admin or this pool's admins assign from it")
    user = _user(rt, user_id)
    if user is None or not user.get("active"):
        raise Problem(400, "no active user with this id",
                      errors=[{"field": "user_id", "message": "unknown or inactive"}])
    if not _may_assign(rt, pool, principal, user):
        raise Problem(403, "a manager assigns from a pool they belong to, to users of their own department or "
                      "one below it; a pool's own admins to the pool's members")
    now = rt.clock.now()
    counter = _day_counter(rt, user_id, now)

    def work(session):
        the_rules = entries.rules_of(rt, pool_id, session)
        # The same document a claim by this rep bumps: moves toward one rep never run side by side.
        rt.db.claim_counters.update_one({"_id": counter}, {"$inc": {"assignments": 1}}, session=session)
        entry = rt.db.pool_entries.find_one({"_id": customer_id, "status": IN_POOL, "pool_id": pool_id},
                                            session=session)
        if entry is None:
            raise refuse("taken", DETAILS["taken"])
        _check_holding(rt, session, user_id, the_rules)
        _move_out(rt, session, entry, "assign", principal.user_id, user_id, now, pool_id, first_contact_due_at=None,
                  reason=reason)
        return {"customer_id": customer_id, "owner_id": user_id}
    return rt.transaction(work)


def _may_assign(rt, pool: dict, principal, assignee: dict) -> bool:
    if principal.is_admin:
        return True
    if principal.user_id in pool.get("admin_user_ids", []) and rules.is_member(pool, assignee):
        return True
    return principal.role == "manager" and rules.is_member(pool, _user(rt, principal.user_id)) \
        and within_subtree(principal, assignee.get("department_path"))


def _day_counter(rt, user_id: str, now) -> str:
    """The rep's counter document of the day, created outside the transaction (an upsert race inside
    one would abort it); claims and assignments bump it, so they serialise per rep."""
    counter = f"{user_id}:{day_start(now).date().isoformat()}"
    rt.db.claim_counters.update_one({"_id": counter}, {"$setOnInsert": {"claims": 0, "assignments": 0, "at": now}},
                                    upsert=True)
    return counter


def _check_holding(rt, session, user_id: str, the_rules: dict) -> None:
    """The pool's limit, or the rep's own if an admin set it lower (the customer service's, from crm.org)."""
    own = (_user(rt, user_id, session) or {}).get("holding_limit")
    held = rt.db.pool_entries.count_documents({"owner_id": user_id, "status": OWNED}, session=session)
    if not holding.may_take_one_more(held, own, the_rules["holding_limit"]):
        raise refuse("holding_limit", f"the rep already holds {held} customers, the limit")


def _move_out(rt, session, entry: dict, kind: str, actor: str, owner: str, now, pool_id: str, *,
              first_contact_due_at, reason: str | None = None) -> None:
    rep = _user(rt, owner, session) or {}
    movement = movements.new(kind=kind, customer_id=entry["_id"], pool_id=pool_id, actor=actor, at=now,
                             user_id=owner, from_owner_id=None, to_owner_id=owner, reason=reason,
                             departments=[entry.get("department_path"), rep.get("department_path")],
                             first_contact_due_at=first_contact_due_at)
    changes = {"status": OWNED, "owner_id": owner, "owned_since": now, "first_contact_due_at": first_contact_due_at,
               "warned": [], "warned_due_at": None,
               "pending": {"request_id": movement["request_id"], "kind": kind}}
    done = rt.db.pool_entries.update_one({"_id": entry["_id"], "status": IN_POOL}, {"$set": changes},
                                         session=session)
    if done.modified_count == 0:
        raise refuse("taken", DETAILS["taken"])
    entries.save(rt, session, entry["_id"], {})  # plan its due times under the pool's rules
    rt.db.movements.insert_one(movement, session=session)
    rt.publish(session, movements.request_event(rt, movement, {"owner_id": None}))

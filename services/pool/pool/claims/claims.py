"""Claim and assign: decided atomically in the pool's database, applied by the customer service.

A claim is one transaction: the rep's (rep, day) counter document is bumped
first, so two claims by one rep never run side by side; then the facts are read
(the rep, the entry, the daily count from the movement log, the holding count
from the entries) and `eligibility.may_claim` decides; then the entry moves with
a conditional update, so two reps claiming one customer write the same document
and only one commits. A refusal raises and rolls all of it back: it uses no quota.
"""
from __future__ import annotations

from datetime import timedelta

from ..movements import log
from ..pools import pools
from ..tracking import entries
from ..tracking.entries import IN_POOL, OWNED
from . import eligibility


def _user(rt, user_id: str, session=None) -> dict | None:
    return rt.db.users.find_one({"_id": user_id}, session=session)


def _held(rt, session, user_id: str) -> int:
    return rt.db.pool_entries.count_documents({"owner_id": user_id, "status": OWNED}, session=session)


def claim(rt, pool_id: str, customer_id: str, principal) -> dict:
    pool = pools.get(rt, pool_id)
    now = rt.clock.now()
    counter = _day_counter(rt, principal.user_id, now)

    def work(session):
        the_rules = entries.rules_of(rt, pool_id, session)
        rt.db.claim_counters.update_one({"_id": counter}, {"$inc": {"claims": 1}}, session=session)
        user = _user(rt, principal.user_id, session)
        entry = rt.db.pool_entries.find_one({"_id": customer_id}, session=session)
        refusal = eligibility.may_claim(
            pool=pool, user=user, entry=entry, rules=the_rules, now=now, held=_held(rt, session, principal.user_id),
            claims_today=log.claims_since(rt, session, principal.user_id, eligibility.day_start(now)))
        if refusal:
            raise refusal
        first_contact = now + timedelta(hours=the_rules["first_contact_hours"])
        _move_out(rt, session, entry, "claim", principal.user_id, principal.user_id, now, pool_id,
                  rep=user, first_contact_due_at=first_contact)
        return {"customer_id": customer_id, "owner_id": principal.user_id, "first_contact_due_at": first_contact}
    return rt.transaction(work)


def assign(rt, pool_id: str, customer_id: str, user_id: str, principal, *, reason: str | None = None) -> dict:
    """A manager or pool admin gives an in-pool customer to an active rep (被动分配)."""
    pool = pools.get(rt, pool_id)
    refusal = eligibility.may_assign(pool=pool, principal=principal, assignee=_user(rt, user_id),
                                     assigner=_user(rt, principal.user_id))
    if refusal:
        raise refusal
    now = rt.clock.now()
    counter = _day_counter(rt, user_id, now)

    def work(session):
        the_rules = entries.rules_of(rt, pool_id, session)
        # The same document a claim by this rep bumps: moves toward one rep never run side by side.
        rt.db.claim_counters.update_one({"_id": counter}, {"$inc": {"assignments": 1}}, session=session)
        entry = rt.db.pool_entries.find_one({"_id": customer_id, "status": IN_POOL, "pool_id": pool_id},
                                            session=session)
        assignee = _user(rt, user_id, session)
        refused = eligibility.may_give(entry=entry, held=_held(rt, session, user_id), assignee=assignee,
                                       rules=the_rules)
        if refused:
            raise refused
        _move_out(rt, session, entry, "assign", principal.user_id, user_id, now, pool_id,
                  rep=assignee, first_contact_due_at=None, reason=reason)
        return {"customer_id": customer_id, "owner_id": user_id}
    return rt.transaction(work)


def _day_counter(rt, user_id: str, now) -> str:
    """The rep's counter document of the day, created outside the transaction (an upsert race inside
    one would abort it); claims and assignments bump it, so they serialise per rep."""
    counter = f"{user_id}:{eligibility.day_start(now).date().isoformat()}"
    rt.db.claim_counters.update_one({"_id": counter}, {"$setOnInsert": {"claims": 0, "assignments": 0, "at": now}},
                                    upsert=True)
    return counter


def _move_out(rt, session, entry: dict, kind: str, actor: str, owner: str, now, pool_id: str, *,
              rep: dict | None, first_contact_due_at, reason: str | None = None) -> None:
    """Take the entry out of the pool to `owner` (whose user record is `rep`), and ask the customer service."""
    rep = rep or {}
    movement = log.new(kind=kind, customer_id=entry["_id"], pool_id=pool_id, actor=actor, at=now,
                       user_id=owner, from_owner_id=None, to_owner_id=owner, reason=reason,
                       departments=[entry.get("department_path"), rep.get("department_path")],
                       first_contact_due_at=first_contact_due_at)
    changes = {"status": OWNED, "owner_id": owner, "owned_since": now, "first_contact_due_at": first_contact_due_at,
               "warned": [], "warned_due_at": None,
               "pending": {"request_id": movement["request_id"], "kind": kind}}
    done = rt.db.pool_entries.update_one({"_id": entry["_id"], "status": IN_POOL}, {"$set": changes},
                                         session=session)
    if done.modified_count == 0:
        raise eligibility.refuse("taken", eligibility.DETAILS["taken"])
    entries.save(rt, session, entry["_id"], {})  # plan its due times under the pool's rules
    rt.db.movements.insert_one(movement, session=session)
    rt.publish(session, log.request_event(rt, movement, {"owner_id": None}))

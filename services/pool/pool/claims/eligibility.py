"""May this rep claim this customer now? May this user be given it? Pure: the facts in, a refusal or None out.

The claim transaction gathers the facts (the pool, the rep's user record, the
customer's entry, the pool's rules, the rep's claims today and the customers
they hold) and asks `may_claim`. It checks, in this order, and answers the
first that fails as a 409 with its `reason`:

1. `not_member`: the rep is not an active member of the pool;
2. `taken`: the customer is not waiting in this pool (someone has it, or another pool);
3. `cooldown`: the rep lost this customer less than the cooldown ago (`retry_at`: when it ends);
4. `waiting`: the customer was reclaimed moments ago (`retry_at`: when it may be claimed);
5. `daily_limit`: the rep made the day's claims (`retry_at`: the next business day);
6. `holding_limit`: the rep holds as many customers as the limit allows.

An assignment asks `may_assign` (who may give whom) before, and `may_give` (the
customer waits in the pool, the rep may hold one more) inside its transaction.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from crm_common.kernel import holding
from crm_common.kernel.refusals import Conflict, Forbidden, Invalid, Refusal
from crm_common.kernel.scope import within_subtree

from ..pools.membership import is_member, may_administer

# "Today" for a daily claim limit is the sales team's calendar day (China Standard Time).
BUSINESS_TZ = timezone(timedelta(hours=8))

DETAILS = {"taken": "the customer is not in this pool (someone else has it)",
           "cooldown": "you lost this customer recently; the previous owner must wait",
           "waiting": "this customer was reclaimed moments ago and cannot be claimed yet"}


def day_start(now: datetime) -> datetime:
    local = now.astimezone(BUSINESS_TZ)
    return datetime.combine(local.date(), time(0), BUSINESS_TZ).astimezone(timezone.utc)


def refuse(reason: str, detail: str, retry_at: datetime | None = None) -> Conflict:
    extra = {"retry_at": retry_at.isoformat()} if retry_at else {}
    return Conflict(detail, reason=reason, **extra)


def waiting_in(entry: dict | None, pool_id: str) -> dict | None:
    """The entry, unless it waits in another pool (not claimable from this one)."""
    if entry is not None and entry.get("pool_id") != pool_id and entry.get("status") == "in_pool":
        return None
    return entry


def claim_refusal(entry: dict | None, *, user_id: str, now: datetime, rules: dict) -> tuple | None:
    """(reason, retry_at) if the rep may not claim this entry now, judged on the entry alone."""
    if entry is None or entry.get("status") != "in_pool":
        return ("taken", None)
    if entry.get("previous_owner_id") == user_id and entry.get("reclaimed_at"):
        until = entry["reclaimed_at"] + timedelta(days=rules["previous_owner_cooldown_days"])
        if now < until:
            return ("cooldown", until)
    if entry.get("reclaimed_at"):
        ready = entry["reclaimed_at"] + timedelta(hours=rules["reclaimed_claim_wait_hours"])
        if now < ready:
            return ("waiting", ready)
    return None


def holding_refusal(held: int, user: dict | None, rules: dict) -> Conflict | None:
    """The pool's holding limit, or the rep's own if an admin set it lower (from crm.org)."""
    if holding.may_take_one_more(held, (user or {}).get("holding_limit"), rules["holding_limit"]):
        return None
    return refuse("holding_limit", f"the rep already holds {held} customers, the limit")


def may_claim(*, pool: dict, user: dict | None, entry: dict | None, rules: dict, claims_today: int, held: int,
              now: datetime) -> Conflict | None:
    """None if the rep (`user`) may claim the customer (`entry`) from `pool` now, else the refusal."""
    if not is_member(pool, user):
        return refuse("not_member", "you are not a member of this pool, or not an active user")
    refused = claim_refusal(waiting_in(entry, pool["_id"]), user_id=user["_id"], now=now, rules=rules)
    if refused:
        reason, retry_at = refused
        return refuse(reason, DETAILS[reason], retry_at)
    if claims_today >= rules["daily_claim_limit"]:
        return refuse("daily_limit", f"you have made {rules['daily_claim_limit']} claims today, the limit",
                      day_start(now) + timedelta(days=1))
    return holding_refusal(held, user, rules)


def may_assign(*, pool: dict, principal, assignee: dict | None, assigner: dict | None) -> Refusal | None:
    """None if `principal` (whose user record is `assigner`) may give this pool's customers to `assignee`.

    An admin gives to anyone; a pool's own admins to the pool's members; a manager who is a member
    of the pool to users of their own department or one below it."""
    if not (may_administer(principal, pool) or principal.role == "manager"):
        return Forbidden("only a manager, an admin or this pool's admins assign from it")
    if assignee is None or not assignee.get("active"):
        return Invalid.field("user_id", "unknown or inactive", "no active user with this id")
    if principal.is_admin:
        return None
    if principal.user_id in pool.get("admin_user_ids", []) and is_member(pool, assignee):
        return None
    if principal.role == "manager" and is_member(pool, assigner) \
            and within_subtree(principal, assignee.get("department_path")):
        return None
    return Forbidden("a manager assigns from a pool they belong to, to users of their own department or "
                     "one below it; a pool's own admins to the pool's members")


def may_give(*, entry: dict | None, held: int, assignee: dict | None, rules: dict) -> Conflict | None:
    """Inside the assignment: the customer still waits in the pool, and the rep may hold one more."""
    if entry is None:
        return refuse("taken", DETAILS["taken"])
    return holding_refusal(held, assignee, rules)

"""Lead states (DOMAIN §1), pure: which move a lead may make from which status, who may make it,
and what it changes.

    new -> assigned -> contacted -> converted | disqualified (with a reason)
    an open lead (new, assigned, contacted) may also be assigned again, or merged away

`transition(lead, action, actor, now=...)` answers with the fields the move sets, or with the
Refusal that says why not (returned, not raised: the caller raises it). The caller writes the
fields and publishes the move's event (leads/moves.py). The actor is anyone with `user_id`, `role`
and `department_path` (crm_common.auth.Principal in a request); `now` is when the move happens.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_common.kernel.refusals import Conflict, Forbidden, Invalid, Refusal
from crm_common.kernel.scope import within_subtree

LEAD_STATES = ("new", "assigned", "contacted", "converted", "disqualified", "merged")
OPEN = ("new", "assigned", "contacted")
DISQUALIFY_REASONS = ("invalid", "no_demand", "competitor", "unreachable", "other")
MANAGERS = ("admin", "manager")


@dataclass(frozen=True)
class Move:
    allowed_from: tuple       # the statuses it starts from
    roles: tuple = ()         # who may make it; () for anyone who sees the lead
    owner_only: bool = False  # a rep makes it only on a lead they own (a claimed lead is theirs)


MOVES = {
    "assign": Move(OPEN, roles=MANAGERS),        # a manager hands the lead to a rep
    "claim": Move(("new",)),                     # a rep takes an unassigned lead from the lead pool
    "contact": Move(("assigned",)),              # the owner reached the contact
    "disqualify": Move(OPEN, owner_only=True),
    "convert": Move(OPEN, owner_only=True),      # the customer service creates the customer
    "merge": Move(OPEN, roles=MANAGERS),         # into another lead or a customer (review/merging.py)
}


def transition(lead: dict, action: str, actor, *, now: datetime, owner: dict | None = None,
               reason: str | None = None, note: str | None = None, into_id: str | None = None,
               into_kind: str = "lead") -> dict | Refusal:
    """The fields `action` sets on `lead`, or why it may not.

    assign: `owner` is the rep ({"_id", "department_path"}; check them first with `assignee_refusal`);
    disqualify: `reason` (one of DISQUALIFY_REASONS) and `note`; merge: `into_id`, `into_kind`.
    """
    move = MOVES[action]
    if move.roles and actor.role not in move.roles:
        return Forbidden(f"this needs the role {' or '.join(move.roles)}")
    if action == "disqualify" and reason not in DISQUALIFY_REASONS:
        return Invalid.field("reason", f"Must be one of: {', '.join(DISQUALIFY_REASONS)}.")
    if action == "merge" and into_id == lead["_id"]:
        return Conflict("a lead cannot be merged into itself")
    if move.owner_only and actor.role == "rep" and lead.get("owner_id") != actor.user_id:
        return Forbidden("only the lead's owner may do this; claim the lead first")
    if action == "claim" and (lead.get("owner_id") is not None or lead["status"] != "new"):
        return Conflict("only an unassigned lead can be claimed")
    if lead["status"] not in move.allowed_from:
        if action == "merge":
            return Conflict("only an open lead can be merged away", errors=[{"field": "id", "message": "not open"}])
        return Conflict(f"the lead is {lead['status']}; this needs one of: {', '.join(move.allowed_from)}")
    return _changes(lead, action, actor, now, owner=owner, reason=reason, note=note, into_id=into_id,
                    into_kind=into_kind)


def _changes(lead: dict, action: str, actor, now: datetime, **given) -> dict:
    if action == "assign":
        return assigned(given["owner"]["_id"], given["owner"].get("department_path", []), None, now)
    if action == "claim":
        return assigned(actor.user_id, list(actor.department_path), None, now)
    if action == "contact":
        return {"status": "contacted", "contacted_at": now, "updated_at": now}
    if action == "disqualify":
        return {"status": "disqualified", "disqualify_reason": given["reason"], "disqualify_note": given["note"],
                "updated_at": now}
    if action == "convert":  # a pool lead a manager converts becomes theirs
        return {"status": "converted", "owner_id": lead.get("owner_id") or actor.user_id, "converted_at": now,
                "updated_at": now}
    return {"status": "merged", "merged_into": {"id": given["into_id"], "kind": given["into_kind"]},
            "updated_at": now}


def assigned(owner_id: str, department_path: list, team_id: str | None, now: datetime) -> dict:
    """The fields of a lead given to a rep: by a manager, by a claim, or by the assignment rules (team_id)."""
    return {"status": "assigned", "owner_id": owner_id, "department_path": department_path, "team_id": team_id,
            "assigned_at": now, "updated_at": now}


def assignee_refusal(actor, rep: dict | None) -> Refusal | None:
    """Why `rep` may not be handed a lead by `actor`, or None: an active user within the actor's subtree."""
    if rep is None or not rep.get("active") or not within_subtree(actor, rep.get("department_path", [])):
        return Invalid("the owner is not an active user", errors=[{"field": "owner_id", "message": "unknown"}])
    return None


def lost_race(action: str) -> Refusal | None:
    """The answer when the lead allowed the move as the caller read it, but not as a concurrent
    move left it: of two reps claiming one lead, the second is told the first got there."""
    return Conflict("someone claimed the lead first") if action == "claim" else None

"""A rule's actions rendered for one record: what the request on crm.automation asks the owning service
to do, and what it expects to still hold when it does (the conditional request: the record fields the
conditions read, and the owner a move of ownership starts from)."""
from __future__ import annotations

from datetime import datetime, timedelta

from .conditions import record_fields

DEFAULT_DUE_HOURS = 24
# Who applies each action: the service owning the data it changes (ARCHITECTURE, "Actions across services").
APPLIED_BY = {"create_task": "customer", "assign_owner": "customer", "set_fields": "customer",
              "return_to_pool": "pool", "notify": "notify", "webhook": "notify", "enroll": "notify"}
MOVES_OWNERSHIP = ("assign_owner", "return_to_pool")
SECRET_FIELDS = ("secret",)


def record_ref(kind: str, record_id: str | None, record: dict) -> dict:
    """The record as a request names it: its kind and id, its customer and its owner."""
    customer_id = record_id if kind == "customer" else record.get("customer_id")
    return {"kind": kind, "id": record_id, "customer_id": customer_id, "owner_id": record.get("owner_id")}


def rendered(action: dict, *, kind: str, record_id: str | None, record: dict, now: datetime) -> dict:
    """The action with what the rule left to the moment it runs: a task's due time and the record it is about."""
    out = {k: v for k, v in action.items() if k != "due_in_hours"}
    out["applied_by"] = APPLIED_BY[action["type"]]
    if action["type"] == "create_task":
        hours = action.get("due_in_hours", DEFAULT_DUE_HOURS)
        out["due_at"] = (now + timedelta(hours=hours)).isoformat()
        out["related"] = {"kind": kind, "id": record_id}
    return out


def expected(action: dict, conditions: dict | None, record: dict) -> dict:
    """What the owning service must still see for the request to apply."""
    fields = record_fields(conditions)
    if action["type"] in MOVES_OWNERSHIP:
        fields.append("owner_id")
    return {f: record.get(f) for f in dict.fromkeys(fields) if "." not in f}


def unmet(action: dict, kind: str, record: dict) -> str | None:
    """Why the action cannot be asked for this record, or None: the run fails at this step."""
    needs_customer = action["type"] in ("assign_owner", "set_fields", "return_to_pool")
    if needs_customer and kind != "customer":
        return f"{action['type']} acts on a customer; this rule's record is a {kind}"
    if action["type"] == "create_task" and kind == "none":
        return "a task needs a record to be about; this event names none"
    roles = [p.get("role") for p in (action.get("assignee"), action.get("to")) if p]
    if "owner" in roles and not record.get("owner_id"):
        return "the record has no owner to address"
    return None


def masked(action: dict) -> dict:
    """An action as the run log and the API show it: a webhook's signing secret never shown."""
    return {k: ("***" if k in SECRET_FIELDS and v else v) for k, v in action.items()}

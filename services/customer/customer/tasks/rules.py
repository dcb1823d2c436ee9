"""The decisions about a task (DOMAIN §7). Pure: no I/O.

A task is seen like the record it is about: its assignee, whoever sees the record (the record's owner and
collaborators), and the managers of the record's or the assignee's department (crm_common.kernel.scope
reads `owner_id`, `collaborator_ids` and `department_path`; a task's `owner_id` is its assignee).
"""
from __future__ import annotations

from datetime import timedelta

from crm_common.events import parse_time
from crm_common.kernel.refusals import Conflict, Invalid
from crm_common.paging import new_id

KINDS = ("lead", "customer", "opportunity")
PRIORITIES = ("low", "normal", "high")
STATUSES = ("open", "done", "cancelled")
SOURCES = ("user", "playbook", "rule")
ROLES = ("owner", "supervisor", "department_manager")
EDITABLE = ("title", "description", "due_at", "priority", "checklist")


def scope_of(record: dict, assignee: dict) -> dict:
    """Who sees a task besides its assignee: those who see its record, and the departments of both."""
    seen_by = [record["owner_id"]] if record.get("owner_id") else []
    paths = list(record.get("department_path") or []) + list(assignee.get("department_path") or [])
    return {"owner_id": assignee["_id"],
            "collaborator_ids": list(dict.fromkeys(seen_by + list(record.get("collaborator_ids") or []))),
            "department_path": list(dict.fromkeys(paths))}


def new(fields: dict, *, related: dict, record: dict, assignee: dict, source: dict, by: str, at) -> dict:
    return {
        "_id": new_id(), "title": fields["title"], "description": fields.get("description"),
        "assignee_id": assignee["_id"], "due_at": fields["due_at"], "priority": fields.get("priority") or "normal",
        "related": related, "customer_id": related.get("customer_id"),
        "checklist": [{"text": item["text"], "done": bool(item.get("done"))} for item in fields.get("checklist", [])],
        "status": "open", "note": None, "completed_at": None, "completed_by": None, "done_late": None,
        "overdue": False, "overdue_at": None, "cancelled_at": None, "cancelled_by": None, "cancel_reason": None,
        "source": source, "request_id": fields.get("request_id"), "playbook": fields.get("playbook"),
        "escalate_at": escalate_at(fields.get("escalate"), at),
        **scope_of(record, assignee), "created_by": by, "created_at": at, "updated_at": at, "version": 1,
    }


def escalate_at(steps, at) -> list:
    """A rule's own escalation days (e.g. the hot-lead template's 3 and 5), counted from the task's
    creation: when its supervisor, then its department manager, hear of it while it is open. Empty: the
    reminder settings' steps after the due time, as for any task."""
    days = []
    for step in (steps or [])[:2]:
        value = step.get("after_days") if isinstance(step, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 365:
            days.append(float(value))
    return [at + timedelta(days=d) for d in days] if len(days) == len(steps or []) else []


def due_in(hours: float, now) -> object:
    return now + timedelta(hours=hours)


def still_open(task: dict, doing: str) -> None:
    if task["status"] != "open":
        raise Conflict(f"the task is {task['status']}; only an open task can be {doing}", reason=f"task_{task['status']}")


def edit(task: dict, body: dict) -> dict:
    """The task after a PATCH of its own fields (the assignee moves through `reassign`)."""
    still_open(task, "edited")
    after = {**task, **{k: body[k] for k in EDITABLE if k in body}}
    if "checklist" in body:
        after["checklist"] = [{"text": i["text"], "done": bool(i.get("done"))} for i in body["checklist"]]
    if "due_at" in body and body["due_at"] != task["due_at"]:
        after.update(overdue=False, overdue_at=None)  # a new due time may pass again
    return after


def complete(task: dict, *, by: str, note: str | None, now) -> dict:
    still_open(task, "completed")
    return {**task, "status": "done", "note": note, "completed_at": now, "completed_by": by,
            "done_late": now > task["due_at"]}


def cancel(task: dict, *, by: str, now, reason: str | None = None) -> dict:
    still_open(task, "cancelled")
    return {**task, "status": "cancelled", "cancelled_at": now, "cancelled_by": by, "cancel_reason": reason}


def past_due(task: dict, now) -> bool:
    """An open task past its due time not yet marked overdue: marked once."""
    return task["status"] == "open" and not task.get("overdue") and task["due_at"] < now


def due_at(action: dict, now):
    """A rule's task: its due time as the request gives it, or `due_in_hours` from now (a day by default)."""
    if action.get("due_at"):
        try:
            when = parse_time(str(action["due_at"]))
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise Invalid.field("due_at", "an RFC 3339 time with its offset")
        return when
    hours = action.get("due_in_hours", 24)
    if not isinstance(hours, (int, float)) or not 0 <= hours <= 24 * 366 * 10:
        raise Invalid.field("due_in_hours", "a number of hours, 0 to ten years")
    return due_in(hours, now)


def snapshot(task: dict) -> dict:
    """What every crm.task.* event carries."""
    def when(value):
        return value.isoformat() if value else None
    return {"task_id": task["_id"], "title": task["title"], "assignee_id": task["assignee_id"],
            "due_at": when(task["due_at"]), "priority": task["priority"], "status": task["status"],
            "related": dict(task["related"]), "customer_id": task.get("customer_id"), "source": dict(task["source"]),
            "overdue": bool(task.get("overdue")), "done_late": task.get("done_late"),
            "completed_at": when(task.get("completed_at")), "department_path": list(task.get("department_path", [])),
            "playbook": task.get("playbook"), "escalate_at": [when(t) for t in task.get("escalate_at") or []],
            "version": task["version"]}

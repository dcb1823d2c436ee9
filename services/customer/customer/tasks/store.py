"""Storing tasks: each write bumps the version (the ETag) and publishes its crm.task.* event in the same
transaction, keyed by the customer id so a customer's tasks keep order with its own events."""
from __future__ import annotations

import copy

from crm_common import concurrency
from crm_common.kernel.refusals import NotFound, Stale
from crm_common.queries import both, find_one

from ..customers import customers
from ..org import users
from . import follow, rules


def related(rt, session, kind: str, record_id: str, *, scope: dict | None = None) -> tuple[dict, dict]:
    """The record a task is about, in `scope` (None: any), as ({kind, id, customer_id}, the record's scope
    fields). A lead lives in lead-intake: this service knows it by the keys it keeps of it, or by the
    customer it became."""
    if kind == "customer":
        record = find_one(rt.db.customers, both({"_id": record_id}, scope or {}), session)
        customer_id = record and record["_id"]
    elif kind == "opportunity":
        record = find_one(rt.db.opportunities, both({"_id": record_id}, scope or {}), session)
        customer_id = record and record["customer_id"]
    else:
        record = rt.db.customers.find_one({"source_lead_id": record_id}, session=session)
        customer_id = record and record["_id"]
        if record is None and rt.db.lead_keys.find_one({"lead_id": record_id}, session=session):
            record = {}
    if record is None:
        raise NotFound(f"no such {kind}", errors=[{"field": "related.id", "message": f"no such {kind}"}])
    return {"kind": kind, "id": record_id, "customer_id": customer_id}, record


def write(rt, session, before: dict | None, after: dict, event: str, data: dict, *, caused_by=None) -> dict:
    after["updated_at"] = customers.now(rt)
    if before is None:
        rt.db.tasks.insert_one(after, session=session)
    else:
        after["version"] = before["version"] + 1
        if rt.db.tasks.replace_one({"_id": before["_id"], "version": before["version"]}, after,
                                   session=session).matched_count == 0:
            raise Stale("the task changed meanwhile; read it again")
    rt.publish(session, rt.event(event, after["_id"], {**rules.snapshot(after), **data},
                                 key=after.get("customer_id") or after["related"]["id"], caused_by=caused_by))
    return after


def create(rt, session, fields: dict, *, related: dict, record: dict, assignee: dict, source: dict, by: str,
           caused_by=None) -> dict:
    now = customers.now(rt)
    task = rules.new(fields, related=related, record=record, assignee=assignee, source=source, by=by, at=now)
    return write(rt, session, None, task, "crm.task.created", {"by": by, "created_at": now.isoformat()},
                 caused_by=caused_by)


def assignee(rt, session, user_id: str, field: str = "assignee_id") -> dict:
    return users.active_user(rt, user_id, field, session)


def change(rt, task_id: str, work, *, scope: dict, expected=None) -> dict:
    """Load the task in `scope`, let `work(session, task)` return (after, event type, event data), store it."""
    def run(session):
        task = find_one(rt.db.tasks, both({"_id": task_id}, scope), session)
        if task is None:
            raise NotFound("no such task")  # the same answer whether it exists or is out of scope
        concurrency.check(task, expected)
        after, event, data = work(session, copy.deepcopy(task))
        return write(rt, session, task, after, event, data) if event else task
    return rt.transaction(run)


def edit(rt, session, task: dict, body: dict, *, by: str) -> tuple[dict, str | None, dict]:
    """A PATCH: a new assignee is crm.task.assigned, any other change crm.task.updated."""
    after = rules.edit(task, body)
    now = customers.now(rt).isoformat()
    if body.get("assignee_id") and body["assignee_id"] != task["assignee_id"]:
        user = assignee(rt, session, body["assignee_id"])
        after.update(assignee_id=user["_id"], **rules.scope_of(follow.record_scope(rt, session, task), user))
        return after, "crm.task.assigned", {"from_assignee_id": task["assignee_id"], "by": by, "assigned_at": now}
    changed = sorted(k for k in rules.EDITABLE if after.get(k) != task.get(k))
    if not changed:
        return task, None, {}
    return after, "crm.task.updated", {"changed_fields": changed, "by": by, "updated_at": now}


def cancel_open(rt, session, query: dict, *, by: str, reason: str) -> list[dict]:
    """Cancel every open task matching `query` (a stage left: its playbook's open tasks)."""
    now = customers.now(rt)
    return [write(rt, session, task, rules.cancel(task, by=by, now=now, reason=reason), "crm.task.cancelled",
                  {"by": by, "cancelled_at": now.isoformat(), "reason": reason})
            for task in rt.db.tasks.find({**query, "status": "open"}, session=session)]


def overdue(rt) -> int:
    """The scheduled job: mark each open task past its due time overdue, once (crm.task.overdue)."""
    now, marked = customers.now(rt), 0
    for task in list(rt.db.tasks.find({"status": "open", "overdue": False, "due_at": {"$lt": now}}).limit(500)):
        def mark(session, task_id=task["_id"]):
            current = rt.db.tasks.find_one({"_id": task_id}, session=session)
            if current is None or not rules.past_due(current, now):
                return 0  # completed, cancelled or moved meanwhile
            write(rt, session, current, {**current, "overdue": True, "overdue_at": now}, "crm.task.overdue",
                  {"overdue_at": now.isoformat()})
            return 1
        marked += rt.transaction(mark)
    return marked


"""Applying a rule's requests (crm.automation.requested) that act on this service's data: create a task,
assign the owner, set the level or tags. Each applies only if what the rule saw still holds, once per
request id, and the events it causes carry the run's causation (crm_common.events.caused_by), so the
automation service never fires a rule on what its own runs caused."""
from __future__ import annotations

import copy

from crm_common.actions import for_service
from crm_common.events import caused_by
from crm_common.kernel.ownership import unmet
from crm_common.kernel.refusals import NotFound, Refusal

from ..customers import customers, ownership
from ..tasks import assignees, rules as task_rules, store as tasks

LEVELS = ("A", "B", "C")


class LeadNotYetKnown(LookupError):
    """A request about a lead this service has not yet heard of: not a refusal, it waits for the lead."""


def handler(rt):
    return for_service("customer", lambda session, request: apply(rt, session, request))


def apply(rt, session, request: dict) -> tuple[str, object]:
    action = request["action"]
    try:
        return APPLY[action["type"]](rt, session, request, action)
    except Refusal as refused:  # checked before anything is written: the answer says why
        return "refused", refused.reason or _field_reason(refused)


def create_task(rt, session, request: dict, action: dict):
    made = rt.db.tasks.find_one({"request_id": request["request_id"]}, {"_id": 1}, session=session)
    if made:  # the same request again (a redelivery, a rerun, another replica): the one task it made
        return "applied", {"task_id": made["_id"]}
    record = request["record"]
    if record.get("kind") not in task_rules.KINDS or not record.get("id"):
        return "refused", "no_record"
    try:
        related, found = tasks.related(rt, session, record["kind"], record["id"])
    except NotFound:
        if record["kind"] != "lead":
            raise
        # The rule saw the lead's own event, so the lead exists; this service hears of it on crm.leads,
        # maybe after the request: raised, the request is retried (bounded) until the lead is known.
        raise LeadNotYetKnown(record["id"]) from None
    owner_id = found.get("owner_id") or record.get("owner_id")
    user = assignees.resolve(rt, session, action.get("assignee") or {"role": "owner"}, owner_id)
    if not action.get("title"):
        return "refused", "no_title"
    fields = {"title": str(action["title"])[:200], "description": action.get("description"),
              "due_at": task_rules.due_at(action, customers.now(rt)), "priority": action.get("priority"),
              "checklist": [{"text": str(i.get("text", i) if isinstance(i, dict) else i)[:200],
                             "done": bool(i.get("done")) if isinstance(i, dict) else False}
                            for i in action.get("checklist") or []][:50],
              "request_id": request["request_id"], "escalate": action.get("escalate")}
    if fields["priority"] not in task_rules.PRIORITIES:
        fields["priority"] = "normal"
    task = tasks.create(rt, session, fields, related=related, record=found, assignee=user,
                        source={"kind": "rule", "id": request["run_id"]}, by=_by(request),
                        caused_by=caused_by(request))
    return "applied", {"task_id": task["_id"], "assignee_id": user["_id"]}


def assign_owner(rt, session, request: dict, action: dict):
    before = _customer(rt, session, request)
    if before is None:
        return "refused", "no_record"
    reason = unmet(before, _expected(request))
    if reason:
        return "refused", reason
    if before.get("owner_id") == action.get("user_id"):
        return "applied", {"customer_id": before["_id"], "owner_id": before["owner_id"], "changed": False}
    owner = ownership.new_owner(rt, session, action.get("user_id") or "", "user_id")
    after = copy.deepcopy(before)
    events = ownership.set_owner(rt, session, after, owner, kind="rule", by=_by(request))
    customers.save(rt, session, before, after, events, caused_by=caused_by(request))
    return "applied", {"customer_id": before["_id"], "owner_id": owner["_id"], "changed": True}


def set_fields(rt, session, request: dict, action: dict):
    before = _customer(rt, session, request)
    if before is None:
        return "refused", "no_record"
    reason = unmet(before, request.get("expected") or {})
    if reason:
        return "refused", reason
    after = copy.deepcopy(before)
    if action.get("level") is not None:
        if action["level"] not in LEVELS:
            return "refused", "invalid_level"
        after["level"] = action["level"]
    removed = {str(t) for t in action.get("remove_tags") or []}
    tags = list(dict.fromkeys([*before.get("tags", []), *(str(t)[:50] for t in action.get("add_tags") or [])]))
    after["tags"] = [t for t in tags if t not in removed]
    changed = [k for k in ("level", "tags") if after.get(k) != before.get(k)]
    if changed:
        customers.save(rt, session, before, after, [customers.updated(rt, _by(request), *changed)],
                       caused_by=caused_by(request))
    return "applied", {"customer_id": before["_id"], "changed_fields": changed}


APPLY = {"create_task": create_task, "assign_owner": assign_owner, "set_fields": set_fields}


def _customer(rt, session, request: dict) -> dict | None:
    record = request["record"]
    customer_id = record.get("customer_id") or (record.get("id") if record.get("kind") == "customer" else None)
    return rt.db.customers.find_one({"_id": customer_id}, session=session) if customer_id else None


def _expected(request: dict) -> dict:
    """What must still hold to move the owner: the rule's expectation, else the owner it saw."""
    expected = dict(request.get("expected") or {})
    if "owner_id" not in expected and "owner_id" in request["record"]:
        expected["owner_id"] = request["record"]["owner_id"]
    return expected


def _by(request: dict) -> str:
    return f"rule:{request['rule_id']}"


def _field_reason(refused: Refusal) -> str:
    field = ((refused.errors or [{}])[0].get("field") or "request").replace(".", "_")
    return f"invalid_{field}"

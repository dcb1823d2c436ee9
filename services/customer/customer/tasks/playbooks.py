"""Stage playbooks (流程, DOMAIN §7): the tasks that entering a pipeline stage creates on the deal.

Entering the stage creates them (assigned by role, due after their offset); leaving it cancels its open
ones; while a required one is open, no later stage may be entered. All of it happens in the stage move's
own transaction (opportunities/store.enter), so a gate cannot be passed by a task done meanwhile."""
from __future__ import annotations

from crm_common import audit, concurrency
from crm_common.kernel.refusals import Conflict, Invalid, NotFound

from ..customers import customers
from ..pipelines import pipelines, stages
from . import assignees, rules, store


def playbook_id(pipeline_id: str, stage: str) -> str:
    return f"{pipeline_id}:{stage}"


def get(rt, pipeline_id: str, stage: str, session=None) -> dict:
    """The stage's playbook (an empty one, version 0, when none was set)."""
    _stage(rt, pipeline_id, stage, session)
    found = rt.db.playbooks.find_one({"_id": playbook_id(pipeline_id, stage)}, session=session)
    return found or {"_id": playbook_id(pipeline_id, stage), "pipeline_id": pipeline_id, "stage": stage, "tasks": [],
                     "version": 0}


def put(rt, pipeline_id: str, stage: str, body: dict, *, expected) -> dict:
    titles = [t["title"] for t in body["tasks"]]
    duplicates = [i for i, title in enumerate(titles) if title in titles[:i]]
    if duplicates:  # the gate names a missing task by its title
        raise Invalid("task titles must differ", errors=[{"field": f"tasks.{i}.title", "message": "duplicate"}
                                                         for i in duplicates])

    def write(session):
        before = get(rt, pipeline_id, stage, session)
        concurrency.check(before, expected)
        after = {**before, "tasks": body["tasks"], "version": before["version"] + 1,
                 "updated_at": customers.now(rt)}
        rt.db.playbooks.replace_one({"_id": after["_id"]}, after, upsert=True, session=session)
        audit.record(rt, session, "playbook", after["_id"], before if before["version"] else None, after)
        return after
    return rt.transaction(write)


def missing(rt, session, pipeline: dict, deal: dict, key: str) -> list[dict]:
    """The required playbook tasks of the deal's stage still open, when `key` is a later open stage
    (a deal may always go back, or be lost)."""
    order = [s["key"] for s in pipeline["stages"]]
    target = stages.find(pipeline, key)
    if target is None or target.get("closes") == "lost" or deal["stage"] not in order \
            or order.index(key) <= order.index(deal["stage"]):
        return []
    open_tasks = rt.db.tasks.find({"related.id": deal["_id"], "status": "open", "playbook.stage": deal["stage"],
                                   "playbook.required": True}, session=session).sort("_id", 1)
    return [{"condition": f"playbook:{t['title']}", "message": f"the task {t['title']!r} of stage {deal['stage']} is done"}
            for t in open_tasks]


def gated(missing_tasks: list[dict], key: str, move):
    """`move()`, unless required playbook tasks are open: the 409 names them with the stage's other
    missing conditions."""
    try:
        step = move()
    except Conflict as refused:
        if missing_tasks and "missing_conditions" in refused.extra:
            refused.extra["missing_conditions"] = refused.extra["missing_conditions"] + missing_tasks
            refused.errors = (refused.errors or []) + [{"field": m["condition"], "message": m["message"]}
                                                       for m in missing_tasks]
        raise
    if missing_tasks:
        raise Conflict(f"stage {key} cannot be entered yet: {len(missing_tasks)} condition(s) missing",
                       missing_conditions=missing_tasks,
                       errors=[{"field": m["condition"], "message": m["message"]} for m in missing_tasks])
    return step


def moved(rt, session, before: dict | None, deal: dict, *, by: str) -> None:
    """The deal entered `deal["stage"]` (from `before`'s, or new): cancel the left stage's open playbook
    tasks, create the new stage's."""
    if before is not None and before["stage"] != deal["stage"]:
        store.cancel_open(rt, session, {"related.id": deal["_id"], "playbook.stage": before["stage"]}, by=by,
                          reason="stage_left")
    if before is not None and before["stage"] == deal["stage"]:
        return
    playbook = rt.db.playbooks.find_one({"_id": playbook_id(deal["pipeline_id"], deal["stage"])}, session=session)
    if playbook is None or deal.get("status", "open") != "open":
        return
    related = {"kind": "opportunity", "id": deal["_id"], "customer_id": deal["customer_id"]}
    now = customers.now(rt)
    for item in playbook["tasks"]:
        user = assignees.by_role(rt, session, item["assignee_role"], deal.get("owner_id")) or \
            assignees.by_role(rt, session, "owner", deal.get("owner_id"))
        if user is None:
            continue  # a deal nobody owns (in the pool): its owner-to-be gets the stage's work when it moves
        fields = {"title": item["title"], "description": item.get("description"),
                  "due_at": rules.due_in(item["due_in_hours"], now), "checklist": item.get("checklist", []),
                  "playbook": {"pipeline_id": deal["pipeline_id"], "stage": deal["stage"],
                               "required": bool(item.get("required"))}}
        store.create(rt, session, fields, related=related, record=deal, assignee=user,
                     source={"kind": "playbook", "id": playbook["_id"]}, by=by)


def _stage(rt, pipeline_id: str, stage: str, session=None) -> None:
    if not pipelines.exists(rt, pipeline_id):
        raise NotFound("no such pipeline")
    if stages.find(pipelines.get(rt, pipeline_id, session), stage) is None:
        raise NotFound("no such stage in this pipeline")

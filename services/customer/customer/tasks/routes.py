"""Tasks: create one on a lead, customer or deal, list and read them in scope, edit with If-Match, complete
or cancel; and (admins) the playbook of a pipeline stage."""
from __future__ import annotations

from flask import g

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.kernel.scope import customer_scope
from crm_common.paging import page
from crm_common.queries import both, find_one
from crm_common.kernel.refusals import NotFound
from crm_common.web import Blueprint, runtime

from . import playbooks, rules, store
from .schemas import CancelIn, CompleteIn, PlaybookIn, PlaybookOut, TaskIn, TaskOut, TaskPage, TaskPatch, TaskQuery

blp = Blueprint("tasks", __name__, url_prefix="/v1", description="Tasks (待办) and stage playbooks (流程)")


def _with_etag(document: dict, status: int = 200):
    return document, status, concurrency.etag_headers(document)


@blp.route("/tasks", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(TaskIn)
@blp.response(201, TaskOut)
def create_task(body):
    """A task on a record the caller sees (404 otherwise), for an active user."""
    rt, by = runtime(), g.principal.user_id

    def work(session):
        related, record = store.related(rt, session, body["related"]["kind"], body["related"]["id"],
                                        scope=customer_scope(g.principal))
        user = store.assignee(rt, session, body["assignee_id"])
        return store.create(rt, session, body, related=related, record=record, assignee=user,
                            source={"kind": "user", "id": by}, by=by)
    return _with_etag(rt.transaction(work), 201)


@blp.route("/tasks", methods=["GET"])
@require_user()
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TaskPage)
def list_tasks(args):
    """The caller's own tasks, and those on records they see (a manager: their department subtree)."""
    query = {k: args[k] for k in ("assignee_id", "status") if k in args}
    query.update({f"related.{k[8:]}": args[k] for k in ("related_kind", "related_id") if k in args})
    if "due_before" in args:
        query["due_at"] = {"$lt": args["due_before"]}
    return page(runtime().db.tasks, both(customer_scope(g.principal), query), limit=args["limit"],
                cursor=args["cursor"])


@blp.route("/tasks/<task_id>", methods=["GET"])
@require_user()
@blp.response(200, TaskOut)
def get_task(task_id):
    task = find_one(runtime().db.tasks, both({"_id": task_id}, customer_scope(g.principal)))
    if task is None:
        raise NotFound("no such task")
    return _with_etag(task)


@blp.route("/tasks/<task_id>", methods=["PATCH"])
@require_user()
@concurrency.documented()
@blp.arguments(TaskPatch)
@blp.response(200, TaskOut)
def update_task(body, task_id):
    """Title, description, due time, priority, checklist (with done flags); a new assignee_id reassigns it.
    Needs If-Match with the ETag last read: 428 without it, 412 if the task changed since."""
    rt, by = runtime(), g.principal.user_id
    expected = concurrency.expected_versions(required=True)
    return _with_etag(store.change(rt, task_id, lambda session, task: store.edit(rt, session, task, body, by=by),
                                   scope=customer_scope(g.principal), expected=expected))


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(CompleteIn)
@blp.response(200, TaskOut)
def complete_task(body, task_id):
    """Done, with an optional note; done late when after its due time. 409 unless it is open."""
    return _close(task_id, rules.complete, "crm.task.completed", "completed_at", note=body.get("note"))


@blp.route("/tasks/<task_id>/cancel", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(CancelIn)
@blp.response(200, TaskOut)
def cancel_task(body, task_id):
    """409 unless it is open."""
    return _close(task_id, rules.cancel, "crm.task.cancelled", "cancelled_at", reason=body.get("reason"))


def _close(task_id: str, decide, event: str, stamp: str, **said):
    """Complete or cancel the task as `decide` says; an If-Match, if sent, must name its current version."""
    rt, by = runtime(), g.principal.user_id

    def work(session, task):
        now = store.customers.now(rt)
        return decide(task, by=by, now=now, **said), event, {"by": by, **said, stamp: now.isoformat()}
    return _with_etag(store.change(rt, task_id, work, scope=customer_scope(g.principal),
                                   expected=concurrency.expected_versions(required=False)))


@blp.route("/pipelines/<pipeline_id>/stages/<stage>/playbook", methods=["GET"])
@require_user()
@blp.response(200, PlaybookOut)
def get_playbook(pipeline_id, stage):
    return _with_etag(playbooks.get(runtime(), pipeline_id, stage))


@blp.route("/pipelines/<pipeline_id>/stages/<stage>/playbook", methods=["PUT"])
@require_user("admin")
@idempotent
@concurrency.documented(required=False, when="Needed to replace a playbook already set. ")
@blp.arguments(PlaybookIn)
@blp.response(200, PlaybookOut)
def put_playbook(body, pipeline_id, stage):
    """The tasks entering the stage creates on a deal (title, due offset, assignee role, required). A deal
    may not enter a later stage while a required one is open."""
    rt = runtime()
    current = playbooks.get(rt, pipeline_id, stage)
    expected = concurrency.expected_versions(required=current["version"] > 0)
    return _with_etag(playbooks.put(rt, pipeline_id, stage, body, expected=expected))

"""Request and response schemas of tasks and stage playbooks."""
import marshmallow as ma

from crm_common.paging import PageArgs, page_schema

from . import rules

ID = ma.validate.Length(min=1, max=64)
TITLE = ma.validate.Length(min=1, max=200)
WHEN = {"default_timezone": None}


class ChecklistItem(ma.Schema):
    text = ma.fields.String(required=True, validate=TITLE)
    done = ma.fields.Boolean(load_default=False)


class Related(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(rules.KINDS))
    id = ma.fields.String(required=True, validate=ID)


class TaskPatch(ma.Schema):
    title = ma.fields.String(validate=TITLE)
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=5000))
    assignee_id = ma.fields.String(validate=ID)
    due_at = ma.fields.AwareDateTime(**WHEN)
    priority = ma.fields.String(validate=ma.validate.OneOf(rules.PRIORITIES))
    checklist = ma.fields.List(ma.fields.Nested(ChecklistItem), validate=ma.validate.Length(max=50))


class TaskIn(TaskPatch):
    title = ma.fields.String(required=True, validate=TITLE)
    assignee_id = ma.fields.String(required=True, validate=ID)
    due_at = ma.fields.AwareDateTime(required=True, **WHEN)
    related = ma.fields.Nested(Related, required=True)


class CompleteIn(ma.Schema):
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class CancelIn(ma.Schema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class RelatedOut(Related):
    customer_id = ma.fields.String(allow_none=True)


class SourceOut(ma.Schema):
    kind = ma.fields.String(validate=ma.validate.OneOf(rules.SOURCES))
    id = ma.fields.String(allow_none=True)


class PlaybookRef(ma.Schema):
    pipeline_id = ma.fields.String()
    stage = ma.fields.String()
    required = ma.fields.Boolean()


class TaskOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    title = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    assignee_id = ma.fields.String()
    due_at = ma.fields.DateTime()
    priority = ma.fields.String()
    related = ma.fields.Nested(RelatedOut)
    checklist = ma.fields.List(ma.fields.Nested(ChecklistItem))
    status = ma.fields.String(validate=ma.validate.OneOf(rules.STATUSES))
    note = ma.fields.String(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)
    completed_by = ma.fields.String(allow_none=True)
    done_late = ma.fields.Boolean(allow_none=True)
    overdue = ma.fields.Boolean()
    cancelled_at = ma.fields.DateTime(allow_none=True)
    source = ma.fields.Nested(SourceOut)
    playbook = ma.fields.Nested(PlaybookRef, allow_none=True)
    escalate_at = ma.fields.List(ma.fields.DateTime(), metadata={
        "description": "a rule's own escalation times (supervisor, then department manager) while it is open"})
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    version = ma.fields.Integer()


class TaskQuery(PageArgs):
    assignee_id = ma.fields.String(validate=ID)
    status = ma.fields.String(validate=ma.validate.OneOf(rules.STATUSES))
    due_before = ma.fields.AwareDateTime(**WHEN)
    related_kind = ma.fields.String(validate=ma.validate.OneOf(rules.KINDS))
    related_id = ma.fields.String(validate=ID)


TaskPage = page_schema(TaskOut, "TaskPage")


class PlaybookTask(ma.Schema):
    title = ma.fields.String(required=True, validate=TITLE)
    due_in_hours = ma.fields.Float(required=True, validate=ma.validate.Range(min=0, max=24 * 365))
    assignee_role = ma.fields.String(required=True, validate=ma.validate.OneOf(rules.ROLES))
    required = ma.fields.Boolean(load_default=False)
    description = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(max=2000))
    checklist = ma.fields.List(ma.fields.Nested(ChecklistItem), load_default=list, validate=ma.validate.Length(max=50))


class PlaybookIn(ma.Schema):
    tasks = ma.fields.List(ma.fields.Nested(PlaybookTask), required=True, validate=ma.validate.Length(max=30))


class PlaybookOut(PlaybookIn):
    pipeline_id = ma.fields.String()
    stage = ma.fields.String()
    version = ma.fields.Integer()

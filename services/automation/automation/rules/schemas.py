"""Request and response schemas of rules, their versions, previews and templates. The deep shape of a
trigger, a condition and an action is the rule's JSON Schema (engine/schema.py), checked after these."""
import marshmallow as ma

_Text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class RulePatch(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    priority = ma.fields.Integer(strict=True, metadata={"description": "lower runs first; 100 when not given"})
    trigger = ma.fields.Dict(metadata={"description": "see GET /v1/rules/schema"})
    conditions = ma.fields.Dict(metadata={"description": "all / any / not over event.data.<field> and record.<field>"})
    actions = ma.fields.List(ma.fields.Dict(), metadata={"description": "see GET /v1/rules/schema"})


class RuleIn(RulePatch):
    name = _Text
    trigger = ma.fields.Dict(required=True, metadata={"description": "see GET /v1/rules/schema"})
    actions = ma.fields.List(ma.fields.Dict(), required=True, metadata={"description": "see GET /v1/rules/schema"})


class RuleOut(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    priority = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "draft, active, inactive, or paused (it failed 5 runs in a row)"})
    version = ma.fields.Integer(metadata={"description": "the latest version, which an edit made and activation makes active"})
    active_version = ma.fields.Integer(allow_none=True)
    trigger = ma.fields.Dict()
    conditions = ma.fields.Dict()
    actions = ma.fields.List(ma.fields.Dict())
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    enrolled = ma.fields.Integer(metadata={"description": "on activation with existing=enroll: the records run"})


class VersionOut(ma.Schema):
    rule_id = ma.fields.String()
    version = ma.fields.Integer()
    state = ma.fields.String(metadata={"description": "draft, active, or retired (was active once)"})
    name = ma.fields.String()
    priority = ma.fields.Integer()
    trigger = ma.fields.Dict()
    conditions = ma.fields.Dict()
    actions = ma.fields.List(ma.fields.Dict())
    created_at = ma.fields.DateTime()
    created_by = ma.fields.String()
    activated_at = ma.fields.DateTime()


class VersionList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(VersionOut))


class RuleArgs(ma.Schema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["draft", "active", "inactive", "paused"]))
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))


class ActivateIn(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    existing = ma.fields.String(load_default="ignore", validate=ma.validate.OneOf(["ignore", "enroll"]),
                                metadata={"description": "enroll: run the rule now for the records that already match"})


class RecordRef(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["customer", "opportunity", "lead"]))
    id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))


class DryRunIn(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    event_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64),
                                metadata={"description": "an event this service consumed in the last 30 days"})
    record = ma.fields.Nested(RecordRef)

    @ma.validates_schema
    def one_of_them(self, data, **_):
        if ("event_id" in data) == ("record" in data):
            raise ma.ValidationError("give either event_id or record", "event_id")


class DryRunOut(ma.Schema):
    rule_id = ma.fields.String()
    version = ma.fields.Integer()
    matched = ma.fields.Boolean(metadata={"description": "whether the trigger fires on the event (always, for a record)"})
    status = ma.fields.String(metadata={"description": "what the run's status would be"})
    conditions = ma.fields.List(ma.fields.Dict())
    steps = ma.fields.List(ma.fields.Dict())
    requests = ma.fields.List(ma.fields.Dict(), metadata={"description": "the requests it would publish"})
    reason = ma.fields.String(allow_none=True)


class BacktestIn(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    days = ma.fields.Integer(load_default=30, strict=True, validate=ma.validate.Range(min=1, max=30),
                             metadata={"description": "how far back to replay; events are kept 30 days"})


class BacktestOut(ma.Schema):
    rule_id = ma.fields.String()
    version = ma.fields.Integer(metadata={"description": "the version replayed: the latest (the draft)"})
    days = ma.fields.Integer()
    events_replayed = ma.fields.Integer()
    fired = ma.fields.Integer(metadata={"description": "runs that would have asked for their actions"})
    per_day = ma.fields.List(ma.fields.Dict(), metadata={"description": "[{day, fired}], days with none left out"})
    statuses = ma.fields.Dict(metadata={"description": "runs by the status they would have had"})
    requests = ma.fields.Dict(metadata={"description": "requests that would have been made, by action type"})
    samples = ma.fields.List(ma.fields.Dict(), metadata={"description": "the first runs, with trace and steps"})
    tasks = ma.fields.List(ma.fields.Dict(), metadata={"description": "tasks that would have been made (first 50)"})
    notices = ma.fields.List(ma.fields.Dict(), metadata={"description": "notices that would have been sent (first 50)"})
    loop_warnings = ma.fields.List(ma.fields.String())


class StatsArgs(ma.Schema):
    days = ma.fields.Integer(load_default=30, validate=ma.validate.Range(min=1, max=90))


class StatsOut(ma.Schema):
    rule_id = ma.fields.String()
    days = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "[{day, skipped_condition}]: events the rule listened on whose conditions did not hold "
                       "(not logged as runs; a dry run on the event shows why)"})


class TemplateOut(ma.Schema):
    name = ma.fields.String()
    description = ma.fields.String()
    params = ma.fields.Dict(metadata={"description": "the JSON Schema of its parameters"})


class TemplateList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TemplateOut))

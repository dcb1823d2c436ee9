"""Request and response schemas of pipeline configuration: stages, their exit conditions, expected
days and rates, and entry actions."""
import marshmallow as ma

from crm_common.paging import page_schema

from . import stages


class ActionSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(stages.ACTIONS))
    days = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=365))


class StageSchema(ma.Schema):
    key = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[a-z][a-z0-9_]{0,49}$"))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    exit_conditions = ma.fields.List(ma.fields.String(), load_default=list)
    expected_days = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=0)), allow_none=True,
                                   load_default=None, validate=ma.validate.Length(equal=2))
    expected_rate = ma.fields.Float(allow_none=True, load_default=None, validate=ma.validate.Range(min=0, max=1))
    win_probability = ma.fields.Float(
        allow_none=True, load_default=None, validate=ma.validate.Range(min=0, max=1),
        metadata={"description": "the chance that a deal in this stage is won, which the forecast weighs it by; "
                                 "null: contract signed's expected rate over this stage's"})
    closes = ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.OneOf(stages.CLOSES))
    actions = ma.fields.List(ma.fields.Nested(ActionSchema), load_default=list)
    lifecycle_trigger = ma.fields.String(allow_none=True, load_default=None,
                                         validate=ma.validate.OneOf(["demand_confirmed", "target_added", "lost",
                                                                     "no_demand"]))


class PipelineIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    stages = ma.fields.List(ma.fields.Nested(StageSchema), required=True, validate=ma.validate.Length(min=1, max=30))


class PipelineOut(PipelineIn):
    id = ma.fields.String(attribute="_id")


PipelinePage = page_schema(PipelineOut, "PipelinePage")

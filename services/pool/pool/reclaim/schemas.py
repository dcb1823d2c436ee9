"""Request and response schemas of rule previews."""
import marshmallow as ma

from ..pools.schemas import RulesIn, RulesOut


class PreviewIn(ma.Schema):
    rules = ma.fields.Nested(RulesIn, required=True)


class PreviewRow(ma.Schema):
    customer_id = ma.fields.String()
    owner_id = ma.fields.String()
    rule = ma.fields.String()
    reclaim_due_at = ma.fields.DateTime()


class RepCount(ma.Schema):
    user_id = ma.fields.String()
    would_reclaim = ma.fields.Integer()
    later = ma.fields.Integer()


class PreviewOut(ma.Schema):
    pool_id = ma.fields.String()
    rules = ma.fields.Nested(RulesOut)
    now = ma.fields.DateTime()
    exempt = ma.fields.Integer(metadata={"description": "owned customers the rules exempt"})
    would_reclaim_count = ma.fields.Integer()
    would_reclaim = ma.fields.List(ma.fields.Nested(PreviewRow), metadata={"description": "due now (first 500)"})
    later_count = ma.fields.Integer()
    later = ma.fields.List(ma.fields.Nested(PreviewRow), metadata={"description": "when the others fall due"})
    per_rep = ma.fields.List(ma.fields.Nested(RepCount))

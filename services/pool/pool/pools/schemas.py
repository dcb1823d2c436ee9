"""Request and response schemas of pools and their rules."""
import marshmallow as ma

from .rules import LEVELS

STAGE_KEY = r"^[a-z][a-z0-9_]{0,49}$"  # as a pipeline's stage keys are written

Ids = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=100)),
                     validate=ma.validate.Length(max=1000))


class RulesIn(ma.Schema):
    """A partial set of rules: what is left out keeps its current (or default) value."""
    class Meta:
        unknown = ma.RAISE

    no_followup_days = ma.fields.Float(validate=ma.validate.Range(min=0.01, max=3650))
    no_deal_days = ma.fields.Float(validate=ma.validate.Range(min=0.01, max=3650))
    levels = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(LEVELS)), validate=ma.validate.Length(max=3))
    exempt_signed = ma.fields.Boolean()
    warn_days_before = ma.fields.List(ma.fields.Float(validate=ma.validate.Range(min=0.01, max=365)),
                                      validate=ma.validate.Length(max=10))
    daily_claim_limit = ma.fields.Integer(validate=ma.validate.Range(min=0, max=10000))
    holding_limit = ma.fields.Integer(validate=ma.validate.Range(min=0, max=1000000))
    first_contact_hours = ma.fields.Float(validate=ma.validate.Range(min=0.01, max=87600))
    previous_owner_cooldown_days = ma.fields.Float(validate=ma.validate.Range(min=0, max=3650))
    reclaimed_claim_wait_hours = ma.fields.Float(validate=ma.validate.Range(min=0, max=87600))
    exempt_stages = ma.fields.List(ma.fields.String(validate=ma.validate.Regexp(STAGE_KEY)),
                                   validate=ma.validate.Length(max=30), metadata={
                                       "description": "stage keys: a customer with a deal open in one of them "
                                                      "is not reclaimed by no_deal_days"})


class RulesOut(RulesIn):
    pass


class PoolIn(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    member_user_ids = Ids
    member_department_ids = Ids
    admin_user_ids = Ids
    source_department_ids = Ids
    open_to_all = ma.fields.Boolean(metadata={"description": "every active user is a member"})
    rules = ma.fields.Nested(RulesIn)


class PoolPatch(PoolIn):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=100))


class PoolOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    member_user_ids = ma.fields.List(ma.fields.String())
    member_department_ids = ma.fields.List(ma.fields.String())
    admin_user_ids = ma.fields.List(ma.fields.String())
    source_department_ids = ma.fields.List(ma.fields.String())
    open_to_all = ma.fields.Boolean()
    rules = ma.fields.Nested(RulesOut)
    version = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()

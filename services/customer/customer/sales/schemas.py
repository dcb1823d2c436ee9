"""Request and response schemas of the sales process: owners, stages, qualification,
milestones, follow-ups, contracts and payments. Pipeline definitions: pipelines/schemas.py."""
import marshmallow as ma

from crm_common.kernel.money import Amount
from crm_common.paging import PageArgs, page_schema

from ..customers.schemas import IsoDate
from ..contracts.schemas import ContractIn, ContractOut  # noqa: F401 - the customer's contract routes
from . import followups, milestones, qualification

REASON = ma.fields.String(validate=ma.validate.Length(max=500), load_default=None)


class OwnerIn(ma.Schema):
    owner_id = ma.fields.String(required=True)
    reason = REASON


class TransferIn(ma.Schema):
    to_user_id = ma.fields.String(required=True)
    reason = REASON
    keep_as_collaborator = ma.fields.Boolean(load_default=False)


class CollaboratorsIn(ma.Schema):
    user_ids = ma.fields.List(ma.fields.String(), required=True, validate=ma.validate.Length(max=50))


class StageIn(ma.Schema):
    stage = ma.fields.String(required=True)
    loss_reason = ma.fields.String(validate=ma.validate.Length(min=1, max=500))


class StageHistoryOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    pipeline_id = ma.fields.String()
    from_ = ma.fields.String(data_key="from", attribute="from")
    to = ma.fields.String()
    by = ma.fields.String()
    at = ma.fields.DateTime()
    stayed_seconds = ma.fields.Float(allow_none=True)


class QualificationIn(ma.Schema):
    qualitative = ma.fields.String(required=True, validate=ma.validate.OneOf(qualification.QUALITATIVE))
    grade = ma.fields.String(validate=ma.validate.OneOf(qualification.GRADES))
    expected_amount = Amount(allow_none=True)
    expected_sign_date = IsoDate(allow_none=True)


class MilestoneIn(ma.Schema):
    milestone = ma.fields.String(required=True, validate=ma.validate.OneOf(milestones.SETTABLE))
    target_month = ma.fields.String(validate=ma.validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="YYYY-MM"))


class MarkIn(ma.Schema):
    mark = ma.fields.String(required=True, validate=ma.validate.OneOf(list(milestones.MARKS)))
    reason = REASON


class FollowupIn(ma.Schema):
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(followups.CHANNELS))
    content = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=5000))
    goal = ma.fields.String(validate=ma.validate.Length(max=500), load_default=None)
    goal_met = ma.fields.Boolean(required=True)
    next_plan = ma.fields.String(validate=ma.validate.Length(max=2000), load_default=None)
    next_contact_at = ma.fields.AwareDateTime(default_timezone=None, load_default=None, allow_none=True)


class FollowupOut(FollowupIn):
    id = ma.fields.String(attribute="_id")
    customer_id = ma.fields.String()
    by = ma.fields.String()
    at = ma.fields.DateTime()
    stage = ma.fields.String()


class PaymentIn(ma.Schema):
    amount = Amount(required=True, positive=True)
    received_on = IsoDate(required=True)
    contract_id = ma.fields.String(load_default=None, allow_none=True)
    invoice_id = ma.fields.String(load_default=None, allow_none=True, metadata={
        "description": "the invoice it settles (its contract's, if contract_id is given too)"})
    note = ma.fields.String(validate=ma.validate.Length(max=500), load_default=None)


class PaymentOut(PaymentIn):
    id = ma.fields.String(attribute="_id")
    amount = Amount(dump_only=True)
    customer_id = ma.fields.String()
    recorded_at = ma.fields.DateTime()


FollowupPage = page_schema(FollowupOut, "FollowupPage")
ListArgs = PageArgs

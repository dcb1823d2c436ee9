"""Request and response schemas of contracts, their approval and invoices."""
import marshmallow as ma

from crm_common.kernel import money
from crm_common.kernel.money import SIGNED_PATTERN, Amount
from crm_common.paging import PageArgs, page_schema

from ..customers.schemas import IsoDate
from . import approval, invoices

COMMENT = ma.validate.Length(min=1, max=500)


class ContractIn(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(max=200), load_default=None)
    number = ma.fields.String(validate=ma.validate.Length(max=100), load_default=None)
    amount = Amount(required=True, positive=True)
    start_date = IsoDate(required=True)
    end_date = IsoDate(required=True)
    draft = ma.fields.Boolean(load_default=False, load_only=True, metadata={
        "description": "keep it a draft, submitted later with POST /v1/contracts/<id>/submit"})


class Awaiting(ma.Schema):
    step = ma.fields.String(validate=ma.validate.OneOf([approval.MANAGER, approval.ADMIN]))
    approver_ids = ma.fields.List(ma.fields.String())
    role = ma.fields.String(allow_none=True, metadata={"description": "any user of this role decides"})


class Decision(ma.Schema):
    decision = ma.fields.String(validate=ma.validate.OneOf(["submitted", "approved", "rejected", "withdrawn"]))
    step = ma.fields.String(allow_none=True)
    by = ma.fields.String()
    at = ma.fields.DateTime()
    comment = ma.fields.String(allow_none=True)
    automatic = ma.fields.Boolean(metadata={"description": "approved at once: at or below the threshold"})
    final = ma.fields.Boolean()


class ContractOut(ContractIn):
    id = ma.fields.String(attribute="_id")
    customer_id = ma.fields.String()
    opportunity_id = ma.fields.String(allow_none=True, metadata={"description": "the deal it belongs to"})
    status = ma.fields.String(validate=ma.validate.OneOf(approval.STATUSES), metadata={
        "description": "only approved, active and expired contracts count toward totals"})
    steps = ma.fields.List(ma.fields.String(), metadata={"description": "the approvals it needs, in order"})
    awaiting = ma.fields.Nested(Awaiting, allow_none=True)
    decisions = ma.fields.List(ma.fields.Nested(Decision))
    amount = Amount(dump_only=True)
    paid = Amount(dump_only=True)
    unpaid = Amount(dump_only=True)
    invoiced = Amount(dump_only=True)
    uninvoiced = Amount(dump_only=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    approved_at = ma.fields.DateTime(allow_none=True)
    signed_at = ma.fields.DateTime(allow_none=True, metadata={"description": "when it came to count"})
    stage_move = ma.fields.Dict(allow_none=True, metadata={
        "description": "what its final approval did to its deal: {opportunity_id, to (the won stage), moved, "
                       "missing_conditions (what the deal still lacked, when not moved)}"})

    @ma.pre_dump
    def with_balances(self, contract, **kwargs):
        return {"status": "approved", "steps": [], "decisions": [], **contract,  # stored before approval existed
                "unpaid": approval.remaining(contract["amount"], contract.get("paid")),
                "invoiced": money.total(contract.get("invoiced")),
                "uninvoiced": approval.remaining(contract["amount"], contract.get("invoiced"))}


class ApproveIn(ma.Schema):
    comment = ma.fields.String(validate=COMMENT, load_default=None)


class RejectIn(ma.Schema):
    comment = ma.fields.String(required=True, validate=COMMENT)


def _rate(value):
    if value < 0 or value >= 1 or value.as_tuple().exponent < -4:
        raise ma.ValidationError("a fraction from 0 to below 1 with at most four places, e.g. 0.13")


class InvoiceIn(ma.Schema):
    number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(invoices.TYPES), metadata={
        "description": "normal: 普票; special: 专票"})
    tax_rate = ma.fields.Decimal(required=True, validate=_rate, allow_nan=False, metadata={"example": "0.13"})
    amount = Amount(required=True, positive=True, metadata={"description": "with tax"})


class VoidIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=COMMENT)
    number = ma.fields.String(validate=ma.validate.Length(min=1, max=50), load_default=None,
                              metadata={"description": "the red-letter invoice's own number"})


SIGNED = {"pattern": SIGNED_PATTERN}  # a red-letter invoice carries its amounts negated


class InvoiceOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    kind = ma.fields.String(validate=ma.validate.OneOf(["blue", "red"]), metadata={
        "description": "red: a red-letter invoice (红冲) reversing `reverses`"})
    status = ma.fields.String(validate=ma.validate.OneOf(["issued", "voided"]))
    number = ma.fields.String(allow_none=True)
    type = ma.fields.String()
    tax_rate = ma.fields.String()
    amount = Amount(dump_only=True, metadata=SIGNED)
    amount_without_tax = Amount(dump_only=True, metadata=SIGNED)
    tax = Amount(dump_only=True, metadata=SIGNED)
    paid = Amount(dump_only=True, allow_none=True)
    buyer_title = ma.fields.String()
    buyer_tax_id = ma.fields.String()
    contract_id = ma.fields.String()
    customer_id = ma.fields.String()
    issued_on = ma.fields.String()
    issued_at = ma.fields.DateTime()
    by = ma.fields.String()
    reverses = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    voided_by = ma.fields.String(allow_none=True, metadata={"description": "the red-letter invoice"})
    voided_at = ma.fields.DateTime(allow_none=True)
    void_reason = ma.fields.String(allow_none=True)


class Thresholds(ma.Schema):
    manager_above = Amount(metadata={"description": "above this the owner's department manager approves"})
    admin_above = Amount(metadata={"description": "above this an admin approves too"})


class ThresholdsOut(ma.Schema):
    manager_above = Amount(dump_only=True)
    admin_above = Amount(dump_only=True)


ContractPage = page_schema(ContractOut, "ContractPage")
ApprovalsArgs = PageArgs

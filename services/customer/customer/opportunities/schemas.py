"""Request and response schemas of opportunities."""
from datetime import timezone

import marshmallow as ma

from crm_common.kernel.money import Amount
from crm_common.paging import PageArgs, page_schema

from ..customers.schemas import TEXT, DealFacts, IsoDate
from ..sales import qualification
from . import rules

NAME = ma.validate.Length(min=1, max=200)


class OpportunityIn(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    pipeline_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    amount = Amount(allow_none=True)
    expected_close_date = IsoDate(allow_none=True)


class OpportunityPatch(DealFacts):
    """What a rep edits on a deal: its name, amount and close date, 定级 and 定量, and the facts its stage
    conditions check. The stage moves only through POST .../stage."""
    name = ma.fields.String(validate=NAME)
    amount = Amount(allow_none=True)
    expected_close_date = IsoDate(allow_none=True)
    grade = ma.fields.String(validate=ma.validate.OneOf(qualification.GRADES), allow_none=True)
    expected_amount = Amount(allow_none=True)
    expected_sign_date = IsoDate(allow_none=True)
    loss_reason = ma.fields.String(validate=TEXT, allow_none=True)


class OpportunityOut(OpportunityPatch):
    id = ma.fields.String(attribute="_id")
    customer_id = ma.fields.String()
    owner_id = ma.fields.String(allow_none=True)
    pipeline_id = ma.fields.String()
    stage = ma.fields.String()
    stage_entered_at = ma.fields.DateTime()
    status = ma.fields.String(validate=ma.validate.OneOf(rules.STATUSES))
    amount = Amount(dump_only=True, allow_none=True)
    expected_amount = Amount(dump_only=True, allow_none=True)
    source_lead_id = ma.fields.String(allow_none=True)
    contract_count = ma.fields.Integer()
    quote_sent = ma.fields.Boolean(metadata={"description": "a quote of it was sent: its proposal is made"})
    amount_source = ma.fields.Dict(allow_none=True, metadata={
        "description": "where the amount comes from: {kind: quote, quote_id, quote_version} once a quote is "
                       "accepted, {kind: contract, contract_id} when an approved contract won a deal without "
                       "one; null when typed"})
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    version = ma.fields.Integer()


class OpportunityQuery(PageArgs):
    customer_id = ma.fields.String(validate=ma.validate.Length(max=64))
    owner_id = ma.fields.String(validate=ma.validate.Length(max=64))
    stage = ma.fields.String(validate=ma.validate.Length(max=50))
    status = ma.fields.String(validate=ma.validate.OneOf(rules.STATUSES))
    close_from = IsoDate(metadata={"description": "expected close date (else the 定量 signing date) on or after"})
    close_to = IsoDate(metadata={"description": "expected close date (else the 定量 signing date) on or before"})
    department_id = ma.fields.String(validate=ma.validate.Length(max=64),
                                     metadata={"description": "deals of customers in this department or below"})
    closed_after = ma.fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "deals won or lost at or after this time (a report period's first local day)"})
    closed_before = ma.fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "deals won or lost before this time"})

    @ma.validates_schema
    def period(self, data, **kwargs):
        if "close_from" in data and "close_to" in data and data["close_to"] < data["close_from"]:
            raise ma.ValidationError({"close_to": ["must not be before close_from"]})
        if "closed_after" in data and "closed_before" in data and data["closed_before"] < data["closed_after"]:
            raise ma.ValidationError({"closed_before": ["must not be before closed_after"]})


OpportunityPage = page_schema(OpportunityOut, "OpportunityPage")

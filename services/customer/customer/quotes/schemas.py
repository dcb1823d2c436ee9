"""Request and response schemas of products and quotes. Amounts, quantities and discount rates are exact:
a JSON number or a decimal string in, a decimal string out."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import marshmallow as ma

from crm_common.kernel.money import Amount
from crm_common.paging import PageArgs, page_schema

from ..customers.schemas import TEXT, IsoDate
from . import pricing

NAME = ma.validate.Length(min=1, max=200)
_DECIMAL = re.compile(r"^\s*\+?[0-9]{1,12}(\.[0-9]+)?\s*$")


class Exact(ma.fields.Field):
    """A quantity or a rate: a number or a decimal string, at most `places` decimals, within [low, high]."""

    def __init__(self, *, low: str, high: str, places: int, above_low: bool = False, **kwargs):
        self.low, self.high, self.places, self.above_low = Decimal(low), Decimal(high), places, above_low
        doc = {"anyOf": [{"type": "string", "pattern": r"^\s*\+?[0-9]{1,12}(\.[0-9]+)?\s*$"},
                         {"type": "number", "minimum": float(low), "maximum": float(high)}],
               "description": f"an exact decimal from {low} to {high}{' (not ' + low + ')' if above_low else ''}, "
                              f"at most {places} decimal places; answers give it as a string"}
        if kwargs.get("dump_only"):
            doc = {"type": "string", "example": "1.5", "description": "an exact decimal string"}
        kwargs["metadata"] = {**doc, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (
                isinstance(value, str) and not _DECIMAL.match(value)):
            raise ma.ValidationError("must be a number or a decimal string such as \"1.5\"")
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except InvalidOperation:
            raise ma.ValidationError("must be a finite number") from None
        if not number.is_finite() or number < self.low or number > self.high or (self.above_low and number == self.low):
            raise ma.ValidationError(f"must be {'more than' if self.above_low else 'at least'} {self.low} "
                                     f"and at most {self.high}")
        if -number.as_tuple().exponent > self.places and number != round(number, self.places):
            raise ma.ValidationError(f"has more than {self.places} decimal places")
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else pricing.plain(value)


class ProductPatch(ma.Schema):
    name = ma.fields.String(validate=NAME)
    code = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
                            metadata={"description": "unique: letters, digits, . _ -"})
    unit = ma.fields.String(validate=ma.validate.Length(min=1, max=20), metadata={"example": "套"})
    list_price = Amount()
    category = ma.fields.String(validate=ma.validate.Length(max=100), allow_none=True)
    active = ma.fields.Boolean()


class ProductIn(ProductPatch):
    name = ma.fields.String(required=True, validate=NAME)
    code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
                            metadata={"description": "unique: letters, digits, . _ -"})
    unit = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20), metadata={"example": "套"})
    list_price = Amount(required=True)


class ProductOut(ProductIn):
    id = ma.fields.String(attribute="_id")
    list_price = Amount(dump_only=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    version = ma.fields.Integer()


class ProductQuery(PageArgs):
    active = ma.fields.Boolean(metadata={"description": "only products on sale (true) or withdrawn (false)"})
    category = ma.fields.String(validate=ma.validate.Length(max=100))


class LineIn(ma.Schema):
    product_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64), allow_none=True)
    description = ma.fields.String(validate=ma.validate.Length(min=1, max=500), allow_none=True,
                                   metadata={"description": "free text; a product line defaults to its name"})
    quantity = Exact(required=True, low="0", high="1000000000", places=3, above_low=True)
    unit_price = Amount(allow_none=True, metadata={"description": "a product line defaults to its list price"})
    discount = Exact(low="0", high="1", places=4, allow_none=True,
                     metadata={"description": "a rate off the line: 0.15 is 15 % off (default 0)"})

    @ma.validates_schema
    def named_and_priced(self, data, **kwargs):
        if not data.get("product_id"):
            if not data.get("description"):
                raise ma.ValidationError({"description": ["a line needs a product_id or a description"]})
            if data.get("unit_price") is None:
                raise ma.ValidationError({"unit_price": ["a line without a product needs its unit price"]})


class QuotePatch(ma.Schema):
    lines = ma.fields.List(ma.fields.Nested(LineIn), validate=ma.validate.Length(min=1, max=200))
    valid_until = IsoDate()
    note = ma.fields.String(validate=TEXT, allow_none=True)


class QuoteIn(QuotePatch):
    lines = ma.fields.List(ma.fields.Nested(LineIn), required=True, validate=ma.validate.Length(min=1, max=200))
    valid_until = IsoDate(required=True)


class LineOut(ma.Schema):
    product_id = ma.fields.String(allow_none=True)
    code = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    unit = ma.fields.String(allow_none=True)
    quantity = Exact(low="0", high="1000000000", places=3, dump_only=True)
    unit_price = Amount(dump_only=True)
    discount = Exact(low="0", high="1", places=4, dump_only=True)
    gross = Amount(dump_only=True, metadata={"description": "quantity × unit price"})
    discount_amount = Amount(dump_only=True)
    total = Amount(dump_only=True)


class QuoteOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    first_id = ma.fields.String(metadata={"description": "the id of version 1: every version of a quote shares it"})
    quote_version = ma.fields.Integer(metadata={"description": "1, 2, ...: sending freezes a version"})
    previous_id = ma.fields.String(allow_none=True)
    opportunity_id = ma.fields.String()
    customer_id = ma.fields.String()
    status = ma.fields.String(validate=ma.validate.OneOf(pricing.STATUSES))
    valid_until = IsoDate()
    note = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(LineOut))
    subtotal = Amount(dump_only=True)
    discount_total = Amount(dump_only=True)
    total = Amount(dump_only=True)
    sent_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    reject_reason = ma.fields.String(allow_none=True)
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    version = ma.fields.Integer(metadata={"description": "the ETag's number"})


class QuoteRejectIn(ma.Schema):
    reason = ma.fields.String(validate=TEXT, allow_none=True)


ProductPage = page_schema(ProductOut, "ProductPage")

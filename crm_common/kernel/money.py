"""Money: amounts of yuan, exact to the fen (分), one rule for every service.

- Stored as BSON Decimal128 with two places, so MongoDB's $inc and $sum stay exact.
- Carried in events and answers as a decimal string with two places ("1234.50").
- Accepted in a request as a JSON number or a decimal string, with at most two places.

`exact` reads any amount tolerantly (Decimal128, int, str, or a float written before
amounts were exact, read through its shortest decimal text), so a consumer never lets
a binary float into a sum.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

import marshmallow as ma
from bson.decimal128 import Decimal128

CENT = Decimal("0.01")
MAX = Decimal("1000000000000")  # one trillion yuan: far above any deal, far below float trouble
# What events and answers carry; `SIGNED_PATTERN` for a balance that may be negative.
PATTERN = r"^(0|[1-9][0-9]*)\.[0-9]{2}$"
SIGNED_PATTERN = r"^-?(0|[1-9][0-9]*)\.[0-9]{2}$"
_INPUT = re.compile(r"^[+-]?[0-9]+(\.[0-9]*)?$")


def exact(value) -> Decimal | None:
    """Any stored or received amount as a Decimal with two places (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Decimal128):
        value = value.to_decimal()
    elif isinstance(value, float):
        value = repr(value)  # the shortest text that is this float: 0.1, not 0.1000000000000000055...
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP) + 0  # + 0 turns -0.00 into 0.00


def text(value) -> str | None:
    """The amount as events and answers carry it: "1234.50"."""
    amount = exact(value)
    return None if amount is None else f"{amount:f}"


def stored(value) -> Decimal128 | None:
    """The amount as the database keeps it."""
    amount = exact(value)
    return None if amount is None else Decimal128(amount)


def total(*values) -> Decimal:
    """The exact sum of amounts (None counts as nothing)."""
    return sum((exact(v) for v in values if v is not None), Decimal("0.00"))


def fen(value) -> int:
    """The amount as integer fen (None is 0), for read models that sum integers."""
    amount = exact(value)
    return 0 if amount is None else int(amount * 100)


def yuan(fen_amount: int) -> str:
    """Integer fen as the decimal string of yuan."""
    return text(Decimal(int(fen_amount)) / 100)


def parse(value, *, positive: bool = False) -> Decimal:
    """A request's amount, or ValueError saying what is wrong with it."""
    shape = "must be a number or a decimal string such as \"1234.50\""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(shape)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        amount = Decimal(repr(value))
    elif isinstance(value, int):
        amount = Decimal(value)
    else:
        raw = value.strip()
        if len(raw) > 40 or not _INPUT.match(raw):
            raise ValueError(shape)
        amount = Decimal(raw)
    if amount < 0 or (positive and amount == 0):
        raise ValueError("must be more than 0" if positive else "must not be negative")
    if amount > MAX:
        raise ValueError(f"must be at most {MAX}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError("has more than two decimal places (fen)")
    return exact(amount)


class Amount(ma.fields.Field):
    """A request's amount (number or decimal string) loaded as a Decimal; dumped as its decimal string.

    `positive` refuses 0 as well. A field of an answer (`dump_only=True`) is documented as a string.
    """

    def __init__(self, *, positive: bool = False, **kwargs):
        self.positive = positive
        minimum = "0.01" if positive else "0.00"
        if kwargs.get("dump_only"):
            doc = {"type": "string", "pattern": PATTERN, "example": "1234.50",
                   "description": "yuan, an exact decimal string with two places"}
        else:
            doc = {"anyOf": [{"type": "string", "pattern": r"^\s*\+?[0-9]{1,13}(\.[0-9]{0,2})?\s*$"},
                             {"type": "number", "minimum": float(minimum), "maximum": float(MAX)}],
                   "example": "1234.50",
                   "description": f"yuan: a JSON number or a decimal string, at least {minimum}, at most {MAX}, "
                                  "at most two decimal places; answers give it as a decimal string"}
        kwargs["metadata"] = {**doc, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse(value, positive=self.positive)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return text(value)

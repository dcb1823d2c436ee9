"""crm_common.kernel.money: the one rule for amounts that customer, reporting and notify share."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128

from crm_common.kernel import money
from crm_common.events import InvalidEvent, new_event
from crm_common.testing.snapshots import customer_snapshot

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_amounts_of_any_origin_read_as_the_same_exact_value():
    assert money.total(0.1, 0.2) == Decimal("0.30")  # each float through its shortest text, then exact sums
    assert [money.text(v) for v in (0.1, "0.1", 0, Decimal128("0.3"), Decimal("1e2"), -0.0, None)] == [
        "0.10", "0.10", "0.00", "0.30", "100.00", "0.00", None]
    assert money.stored("12.3") == Decimal128("12.30")
    assert [money.fen(v) for v in ("1234.56", 0.29, None, Decimal128("0.01"))] == [123456, 29, 0, 1]
    assert [money.yuan(f) for f in (123456, 5, -5, 0)] == ["1234.56", "0.05", "-0.05", "0.00"]


@pytest.mark.parametrize("value, expected", [(0.1, "0.10"), ("0.2", "0.20"), (7, "7.00"), (" 3.1 ", "3.10"),
                                             ("1000000000000", "1000000000000.00"), ("-0", "0.00")])
def test_a_request_gives_a_number_or_a_decimal_string(value, expected):
    assert money.text(money.parse(value)) == expected


@pytest.mark.parametrize("value, message", [
    (0.001, "two decimal places"), ("1.005", "two decimal places"), (0.30000000000000004, "two decimal places"),
    (-1, "negative"), ("-0.01", "negative"), (float("nan"), "finite"), (float("inf"), "finite"),
    (1e13, "at most"), ("1000000000000.01", "at most"), ("NaN", "decimal string"), ("1e3", "decimal string"),
    ("1,000", "decimal string"), ("", "decimal string"), (True, "decimal string"), (None, "decimal string"),
    ("9" * 41, "decimal string")])
def test_a_request_amount_that_is_not_exact_money_is_refused_saying_why(value, message):
    with pytest.raises(ValueError, match=message):
        money.parse(value)


def test_a_positive_amount_refuses_zero():
    with pytest.raises(ValueError, match="more than 0"):
        money.parse("0.00", positive=True)
    assert money.parse("0.01", positive=True) == Decimal("0.01")


def test_the_event_contracts_take_decimal_strings_only():
    data = {**customer_snapshot("c1", owner_id="u1", stage="s", lifecycle="signed"),
            "order_total": "0.30", "by": "u1", "won_at": "2025-01-01T00:00:00Z"}
    new_event("crm.customer.won", "c1", data, source="customer", time=AT)
    for wrong in (0.3, "0.3", "0.300", "1e2", "-0.30"):
        with pytest.raises(InvalidEvent, match="order_total"):
            new_event("crm.customer.won", "c1", {**data, "order_total": wrong}, source="customer", time=AT)

"""A quote's figures and statuses (customer.quotes.pricing): exact to the fen, and what each status allows."""
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128

from crm_common.kernel.refusals import Conflict
from customer.quotes import pricing


def test_a_line_is_rounded_once_to_the_fen_and_the_totals_add_the_rounded_lines():
    lines = [pricing.line("2.5", "1999.99"), pricing.line(3, Decimal128("12800.00"), "0.15"), pricing.line(1, "0.10", "0.333")]
    assert [item["total"] for item in lines] == [Decimal("4999.98"), Decimal("32640.00"), Decimal("0.07")]
    totals = pricing.totals(lines)
    assert totals == {"subtotal": Decimal("43400.08"), "discount_total": Decimal("5760.03"), "total": Decimal("37640.05")}
    assert totals["subtotal"] - totals["discount_total"] == totals["total"]


def test_only_a_sent_quote_expires_the_day_after_its_date():
    sent = {"status": "sent", "valid_until": "2026-03-31"}
    assert pricing.status_on(sent, "2026-03-31") == "sent"
    assert pricing.status_on(sent, "2026-04-01") == "expired"
    assert pricing.status_on({**sent, "status": "draft"}, "2026-04-01") == "draft"


@pytest.mark.parametrize("status,allowed", [("draft", {"edit", "send"}), ("sent", {"accept", "reject"}),
                                            ("accepted", set()), ("rejected", set()), ("superseded", set())])
def test_each_status_allows_its_own_moves(status, allowed):
    quote = {"status": status, "valid_until": "2030-01-01"}
    for action in ("edit", "send", "accept", "reject"):
        if action in allowed:
            pricing.may(action, quote, "2026-01-01")
        else:
            with pytest.raises(Conflict) as refused:
                pricing.may(action, quote, "2026-01-01")
            assert refused.value.reason == f"quote_{status}"


def test_a_draft_out_of_date_is_not_sent():
    with pytest.raises(Conflict) as refused:
        pricing.may("send", {"status": "draft", "valid_until": "2025-12-31"}, "2026-01-01")
    assert refused.value.errors == [{"field": "valid_until", "message": "before 2026-01-01"}]


def test_quantities_and_rates_read_plainly():
    assert [pricing.plain(v) for v in (Decimal("2.000"), Decimal128("1.50"), "0.15", Decimal("0"))] == ["2", "1.5", "0.15", "0"]

"""Amounts in events come as JSON numbers (older events) or exact decimal strings: both give the same fen."""
from crm_common.kernel.money import fen, yuan


def test_an_amount_as_a_number_or_a_decimal_string_is_the_same_exact_fen():
    assert fen(50000.1) == fen("50000.10") == 5000010
    assert fen(1000) == fen("1000.00") == 100000
    assert fen(0.29) == fen("0.29") == 29  # 0.29 * 100 is 28.999... in binary floats
    assert fen(None) == 0 and yuan(fen("-1000.05")) == "-1000.05"

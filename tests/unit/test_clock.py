"""The clock every rule reads; tests move it by hand."""
from datetime import datetime, timedelta, timezone

from crm_common.clock import Clock, FixedClock, utcnow

AT = datetime(2026, 1, 31, 23, 0, tzinfo=timezone.utc)


def test_a_fixed_clock_says_what_it_is_told_and_moves_when_advanced():
    clock = FixedClock(AT)
    assert clock.now() == clock.now() == AT
    clock.advance(days=90, hours=2)
    assert clock.now() == datetime(2026, 5, 2, 1, 0, tzinfo=timezone.utc)


def test_an_offset_moves_a_fixed_clock_forward():
    clock = FixedClock(AT)
    clock.set_offset(timedelta(days=3))
    assert clock.offset() == timedelta(days=3) and clock.now() == AT + timedelta(days=3)


def test_the_real_clock_is_utc_now_plus_its_offset():
    clock = Clock()
    before = utcnow()
    assert before <= clock.now() <= utcnow() and clock.now().utcoffset() == timedelta(0)
    clock.set_offset(timedelta(days=90))
    before = utcnow()
    moved = clock.now()
    assert before + timedelta(days=90) <= moved <= utcnow() + timedelta(days=90)

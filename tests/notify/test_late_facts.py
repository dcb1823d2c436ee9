"""A follow-up or contract applied late (redriven after its customer moved on) still counts, but the
customer snapshot it carries is of its time: notify's copy keeps the newer one."""
from datetime import datetime, timedelta, timezone

from crm_common.testing.snapshots import customer_snapshot
from notify import state

AT = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def followup(version: int, level: str, at: datetime, followup_id: str) -> dict:
    return {**customer_snapshot("C1", owner_id="rep-1", level=level, version=version),
            "followup_id": followup_id, "channel": "phone", "summary": followup_id, "next_plan": None,
            "next_contact_at": None, "followed_up_at": at.isoformat()}


def test_a_late_follow_up_keeps_the_newer_level_and_the_latest_follow_up(rt):
    rt.transaction(lambda s: state.followed_up(rt, s, followup(3, "A", AT + timedelta(days=2), "F2")))
    rt.transaction(lambda s: state.followed_up(rt, s, followup(2, "C", AT, "F1")))
    kept = rt.db.customers.find_one({"_id": "C1"})
    assert kept["level"] == "A" and kept["last_followup"]["followup_id"] == "F2"


def test_a_late_contract_is_kept_without_its_old_snapshot(rt):
    rt.transaction(lambda s: state.customer_changed(rt, s, customer_snapshot("C1", owner_id="rep-2", version=4)))
    late = {**customer_snapshot("C1", owner_id="rep-1", version=2), "contract_id": "K1", "title": "First order",
            "amount": "1000.00", "order_total": "1000.00", "end_date": "2027-06-01"}
    rt.transaction(lambda s: state.contract_signed(rt, s, late))
    assert rt.db.customers.find_one({"_id": "C1"})["owner_id"] == "rep-2"
    assert rt.db.contracts.find_one({"_id": "K1"})["end_date"] == "2027-06-01"

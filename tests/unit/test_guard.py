"""The guard's verdicts: a newer snapshot applies, a late fact counts once, a gap or a held aggregate waits."""
import pytest

from crm_common.events import FACT_TYPES, contract_types
from crm_common.guard import APPLY, PARK, SKIP, decide


def event(version, kind="crm.customer.updated", event_id=None):
    return {"id": event_id or f"e{version}", "type": kind, "subject": "C1", "version": version}


ROW = {"version": 5, "deleted": False, "holes": [[1, 2]], "parked": []}
PAYMENT = "crm.customer.payment_received"


@pytest.mark.parametrize("row, arriving, verdict", [
    (None, event(9), APPLY),                                  # a first event may predate the group
    (ROW, event(6), APPLY),
    (ROW, event(5), SKIP), (ROW, event(4), SKIP),             # a repeat, a late snapshot
    (ROW, event(4, PAYMENT), SKIP),                           # a fact already applied
    (ROW, event(2, PAYMENT), APPLY),                          # a late fact never applied
    (ROW, event(7), PARK), (ROW, event(7, PAYMENT), PARK),    # after a gap
    ({**ROW, "parked": [7]}, event(7), SKIP),                 # a copy of one waiting
    ({**ROW, "held": {"event_id": "e6", "version": 6}}, event(7), PARK),
    ({**ROW, "held": {"event_id": "e6", "version": 6}}, event(6), APPLY),   # the redriven one itself
    ({**ROW, "deleted": True}, event(6, PAYMENT), SKIP),      # nothing after the delete
    ({**ROW, "held": {"event_id": "e6", "version": 6}}, event(2, PAYMENT), APPLY),
])
def test_verdicts(row, arriving, verdict):
    assert decide(row, arriving) == verdict


def test_without_gap_detection_a_version_ahead_applies():
    assert decide(ROW, event(9), gaps=False) == APPLY


def test_every_fact_type_has_a_contract():
    assert FACT_TYPES <= {name for name, _ in contract_types()}

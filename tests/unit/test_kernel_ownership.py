"""The conditional ownership request both the pool and the customer service speak."""
from datetime import datetime, timedelta, timezone

from crm_common.kernel import ownership

SEEN = datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=timezone.utc)


def entry(**fields):
    return {"owner_id": "rep-1", "last_followup_at": SEEN, "level": "B", "lifecycle": "potential", **fields}


def test_a_reclaim_applies_while_the_customer_is_as_the_pool_saw_it():
    expected = ownership.expectation(entry())
    customer = {"owner_id": "rep-1", "last_followup_at": SEEN.replace(microsecond=123000), "level": "B",
                "lifecycle": "potential"}  # stored at the database's millisecond precision
    assert ownership.unmet(customer, expected) is None


def test_each_change_since_the_pool_looked_refuses_the_move_with_its_own_reason():
    expected = ownership.expectation(entry())
    base = {"owner_id": "rep-1", "last_followup_at": SEEN, "level": "B", "lifecycle": "potential"}
    assert ownership.unmet({**base, "owner_id": "rep-2"}, expected) == "owner_changed"
    assert ownership.unmet({**base, "last_followup_at": SEEN + timedelta(hours=1)}, expected) == "followed_up"
    assert ownership.unmet({**base, "level": "A"}, expected) == "level_changed"
    assert ownership.unmet({**base, "lifecycle": "signed"}, expected) == "lifecycle_changed"


def test_a_claim_expects_nobody_to_own_the_customer():
    assert ownership.unmet({"owner_id": None}, {"owner_id": None}) is None
    assert ownership.unmet({"owner_id": "rep-9"}, {"owner_id": None}) == "owner_changed"


def test_a_never_followed_up_customer_matches_a_null_expectation():
    expected = ownership.expectation(entry(last_followup_at=None))
    assert expected["last_followup_at"] is None
    assert ownership.unmet({**entry(last_followup_at=None)}, expected) is None


def test_the_request_names_the_move_and_what_must_still_hold():
    data = ownership.request(request_id="r1", customer_id="C1", kind="reclaim", expected={"owner_id": "rep-1"},
                             to_owner_id=None, pool_id="default", reason=None, rule="no_followup", by="pool",
                             at=SEEN)
    assert data["expected"] == {"owner_id": "rep-1"} and data["requested_at"] == SEEN.isoformat()
    assert (data["kind"], data["rule"], data["to_owner_id"]) == ("reclaim", "no_followup", None)

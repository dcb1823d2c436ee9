"""Who may change what in a pool (issue 21): a pool's admins run its rules within bounds, never its people
or sources, so being made a pool admin widens nobody's reach. Pure, without servers."""
import pytest

from crm_common.auth import Principal
from crm_common.kernel.refusals import Forbidden
from pool.pools.membership import change_refusal

POOL = {"_id": "vip", "name": "VIP", "admin_user_ids": ["pool-admin"], "member_user_ids": ["rep-1"],
        "member_department_ids": ["sales"], "source_department_ids": ["sales"], "open_to_all": False,
        "rules": {"no_followup_days": 7, "no_deal_days": 30, "first_contact_hours": 48}}
ADMIN = Principal("boss", "boss", "admin", [])
POOL_ADMIN = Principal("pool-admin", "pa", "rep", ["sales"])
REP = Principal("rep-1", "rep", "rep", ["sales"])


def fields(refusal):
    return [e["field"] for e in refusal.errors or []]


def test_the_reproduction_is_refused_naming_both_fields():
    """A rep who is the pool's admin names another department as a source and a reclaim in minutes."""
    refusal = change_refusal(POOL_ADMIN, POOL, {"source_department_ids": ["finance"],
                                               "rules": {"no_followup_days": 0.01}})
    assert isinstance(refusal, Forbidden) and refusal.status == 403
    assert fields(refusal) == ["source_department_ids", "rules.no_followup_days"]


@pytest.mark.parametrize("field, value", [
    ("admin_user_ids", ["pool-admin", "friend"]), ("member_user_ids", []), ("member_department_ids", ["finance"]),
    ("source_department_ids", []), ("open_to_all", True)])
def test_a_pool_admin_changes_none_of_its_people_or_sources(field, value):
    assert fields(change_refusal(POOL_ADMIN, POOL, {field: value})) == [field]
    assert change_refusal(ADMIN, POOL, {field: value}) is None


def test_a_pool_admin_changes_its_name_and_rules_within_bounds():
    assert change_refusal(POOL_ADMIN, POOL, {"name": "VIP 2", "rules": {
        "no_followup_days": 1, "no_deal_days": 1, "levels": ["B"], "daily_claim_limit": 5}}) is None
    assert fields(change_refusal(POOL_ADMIN, POOL, {"rules": {"no_deal_days": 0.5}})) == ["rules.no_deal_days"]
    assert change_refusal(ADMIN, POOL, {"rules": {"no_followup_days": 0.01}}) is None  # an admin is trusted


def test_sending_back_what_was_read_is_no_change():
    """A client that PATCHes the whole pool it read, in another order, is not refused for fields it kept."""
    sent = {k: POOL[k] for k in ("admin_user_ids", "member_department_ids", "open_to_all")}
    assert change_refusal(POOL_ADMIN, {**POOL, "member_user_ids": ["a", "b"]},
                          {**sent, "member_user_ids": ["b", "a"], "name": "New"}) is None
    set_low = {**POOL, "rules": {**POOL["rules"], "no_followup_days": 0.5}}  # an admin set it so
    assert change_refusal(POOL_ADMIN, set_low, {"rules": {"no_followup_days": 0.5, "no_deal_days": 20}}) is None


def test_someone_who_does_not_administer_the_pool_changes_nothing():
    refusal = change_refusal(REP, POOL, {"name": "Mine"})
    assert isinstance(refusal, Forbidden) and refusal.detail == "only an admin or this pool's admins change it"

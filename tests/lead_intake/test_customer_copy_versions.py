"""Lead intake's copy of customers follows versions: a late or repeated customer event changes
nothing, a deleted customer stays deleted, and a method a resubmission offered becomes the customer's
when the customer's own snapshot gives it."""
import pytest

from crm_common.consumer import deliver
from crm_common.testing.events import data_of
from crm_common.testing.snapshots import contact, customer_snapshot
from lead_intake.service import SPEC


@pytest.fixture
def handlers(rt):
    return SPEC.handlers(rt)


def customer_event(rt, kind: str, version: int, phones: list[str], emails=()) -> dict:
    data = customer_snapshot("C1", name="Acme", owner_id="rep-3", department_path=["d1"], version=version,
                             contacts=[contact("Wang", phones=phones, emails=emails)])
    data.update({"updated": {"changed_fields": ["contacts"], "updated_at": "2026-11-20T08:00:00Z"},
                 "deleted": {"deleted_at": "2026-11-21T08:00:00Z"}}[kind])
    event = rt.event(f"crm.customer.{kind}", "C1", data)
    event["version"] = version
    return event


def verdict(client, channel, **contact):
    """The record a submission was attached to, or "new" (a channel itself is not told which)."""
    response = client.post("/v1/leads", json={"name": "Someone", **contact}, headers=channel)
    if response.status_code != 200:
        return "new"
    return data_of(client.application.extensions["crm"], "crm.lead.resubmitted")[-1]["record_id"]


def test_an_older_customer_event_arriving_late_does_not_undo_a_newer_one(rt, handlers, client, channel):
    assert deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 2, ["+8613700137002"]))
    assert not deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 1, ["+8613700137001"]))
    assert verdict(client, channel, phone="13700137002") == "C1"
    assert verdict(client, channel, phone="13700137001") == "new"


def test_an_event_after_the_customers_deletion_does_not_bring_its_contacts_back(rt, handlers, client, channel):
    deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 1, ["+8613700137001"]))
    assert deliver(rt, "lead-intake", handlers, customer_event(rt, "deleted", 3, ["+8613700137001"]))
    assert not deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 2, ["+8613700137001"]))
    assert rt.db.identity_keys.count_documents({"record_id": "C1"}) == 0
    assert verdict(client, channel, phone="13700137001") == "new"


def test_a_phone_a_resubmission_offered_is_the_customers_once_its_own_snapshot_gives_it(rt, handlers, client,
                                                                                       channel, admin):
    deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 1, ["+8613700137001"]))
    # the contact comes back through a form with a new email: attached to the customer, the email only offered
    assert verdict(client, channel, phone="13700137001", email="wang@acme.cn") == "C1"
    assert rt.db.customers.find_one({"_id": "C1"})["offered_keys"] == ["email:wang@acme.cn"]
    # the customer service's own edit gives it (the rep added it to the contact): the customer's key from now on
    deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 2, ["+8613700137001"], ["wang@acme.cn"]))
    assert verdict(client, channel, email="wang@acme.cn") == "C1"
    assert rt.db.customers.find_one({"_id": "C1"})["offered_keys"] == []
    deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 3, ["+8613700137001"], ["wang@acme.cn"]))
    assert verdict(client, channel, email="wang@acme.cn") == "C1"
    # a contact method the customer's own snapshot gave, then dropped, is let go
    deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 3, ["+8613700137009"]))
    deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 4, []))
    assert verdict(client, channel, phone="13700137009") == "new"


def test_a_payment_applied_late_does_not_bring_back_the_contacts_of_its_time(rt, handlers, client, channel):
    deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 1, ["+8613700137001"]))
    # v3 before v2: the guard goes on, and v2 (a payment, a fact) is still applied when it comes late
    assert deliver(rt, "lead-intake", handlers, customer_event(rt, "updated", 3, ["+8613700137003"]))
    payment = customer_snapshot("C1", name="Acme", owner_id="rep-3", department_path=["d1"], version=2,
                                contacts=[contact("Wang", phones=["+8613700137001"])])
    payment.update(payment_id="P1", contract_id=None, amount="800.00", received_on="2026-11-20",
                   paid_total="800.00", outstanding="0.00", recorded_at="2026-11-20T08:00:00Z")
    late = rt.event("crm.customer.payment_received", "C1", payment)
    late["version"] = 2
    assert deliver(rt, "lead-intake", handlers, late)
    assert verdict(client, channel, phone="13700137003") == "C1"
    assert verdict(client, channel, phone="13700137001") == "new"

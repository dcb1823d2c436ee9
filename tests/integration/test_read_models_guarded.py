"""Every service's read models honour versions: with each service's real handlers, an older event
arriving after a newer one, and any event arriving after its aggregate's delete, change nothing."""
import importlib

import pytest

from crm_common.consumer import deliver
from crm_common.testing.snapshots import contact, customer_snapshot

# Services whose read models follow customer events (lead-intake, pool, notify, reporting).
FOLLOWERS = ["lead-intake", "pool", "notify", "reporting"]
BOOKKEEPING = {"applied_versions", "processed_events", "outbox", "event_versions", "job_leases", "dev_clock"}


def customer_event(rt, kind: str, version: int, level: str, owner: str = "rep-1") -> dict:
    data = customer_snapshot("C1", name="Acme", owner_id=owner, department_path=["d1"], level=level,
                             version=version, contacts=[contact("Wang", phones=["+8613700137001"])])
    data.update({"created": {"created_at": "2026-11-20T08:00:00Z", "source_lead_id": None},
                 "updated": {"changed_fields": ["level"], "updated_at": "2026-11-20T09:00:00Z"},
                 "deleted": {"deleted_at": "2026-11-21T08:00:00Z"}}[kind])
    event = rt.event(f"crm.customer.{kind}", "C1", data)
    event["version"] = version
    return event


def dump(rt) -> dict:
    """Everything the service keeps, but the plumbing's own bookkeeping."""
    return {name: sorted(rt.db[name].find(), key=str) for name in sorted(rt.db.list_collection_names())
            if name not in BOOKKEEPING}


@pytest.fixture(params=FOLLOWERS)
def service(request, app_for):
    package = request.param.replace("-", "_")
    app = app_for(importlib.import_module(f"{package}.app").create_app, request.param)
    rt = app.extensions["crm"]
    return rt, importlib.import_module(f"{package}.service").SPEC.handlers(rt), request.param


def test_an_older_event_after_a_newer_one_changes_nothing(service):
    rt, handlers, group = service
    assert deliver(rt, group, handlers, customer_event(rt, "created", 1, "C"))
    created = dump(rt)
    assert deliver(rt, group, handlers, customer_event(rt, "updated", 3, "A", owner="rep-2"))
    newer = dump(rt)
    assert newer != created, f"{group} did not take the newer event in"
    assert not deliver(rt, group, handlers, customer_event(rt, "updated", 2, "B", owner="rep-3"))
    assert not deliver(rt, group, handlers, customer_event(rt, "updated", 3, "A", owner="rep-2"))  # a redelivery
    assert dump(rt) == newer


def test_an_event_after_the_delete_does_not_bring_the_customer_back(service):
    rt, handlers, group = service
    deliver(rt, group, handlers, customer_event(rt, "created", 1, "C"))
    assert deliver(rt, group, handlers, customer_event(rt, "deleted", 4, "C"))
    deleted = dump(rt)
    assert not deliver(rt, group, handlers, customer_event(rt, "updated", 3, "A", owner="rep-2"))   # late
    assert not deliver(rt, group, handlers, customer_event(rt, "updated", 5, "A", owner="rep-2"))   # after it
    assert dump(rt) == deleted


def test_the_customer_service_applies_a_lead_conversion_once_and_ignores_an_older_copy(app_for):
    from customer.app import create_app
    from customer.service import SPEC
    rt = app_for(create_app, "customer").extensions["crm"]
    handlers = SPEC.handlers(rt)

    def converted(version, name):
        event = rt.event("crm.lead.converted", "L1", {
            "lead_id": "L1", "converted_by": "u-admin", "owner_id": "u-admin", "name": name, "phones": ["+8613700137001"],
            "emails": [], "converted_at": "2026-11-20T08:00:00Z"})
        event["version"] = version
        return event
    assert deliver(rt, "customer", handlers, converted(4, "Wang"))
    assert not deliver(rt, "customer", handlers, converted(4, "Wang"))   # redelivered
    assert not deliver(rt, "customer", handlers, converted(3, "Old"))    # older, late
    [customer] = rt.db.customers.find({"source_lead_id": "L1"})
    assert rt.db.customers.count_documents({}) == 1 and customer["version"] >= 1

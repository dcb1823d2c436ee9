"""No fact is dropped by the guard: an event after a gap waits for the missing one, a late fact counts
once, and a redriven payment shows in reporting after the customer's later events were applied."""
from datetime import datetime, timezone

import pytest
from kafka import TopicPartition

from crm_common import dlq
from crm_common.testing.auth import signed_in
from crm_common.testing.snapshots import customer_snapshot

USER = "crm.user.created"


@pytest.fixture
def seen():
    return []


@pytest.fixture
def remember(seen):
    def handle(event, session):
        seen.append((event["subject"], event["version"], event["data"]["username"]))
    return handle


def done_with(loop, sent) -> bool:
    partition = TopicPartition(sent.topic, sent.partition)
    return bool(loop.consumer.assignment()) and loop.consumer.committed(partition) == sent.offset + 1


def row(rt, group, stream):
    return rt.db.applied_versions.find_one({"_id": f"{group}|{stream}"})


def test_an_event_after_a_gap_waits_for_the_missing_one_then_both_are_applied_in_order(
        rt, loop_for, drive, put, user_created, group, seen, remember):
    put(user_created("u1", "v1"), 1)
    third = put(user_created("u1", "v3"), 3)
    loop = loop_for(group, {USER: remember})
    drive(loop, lambda: done_with(loop, third))
    assert seen == [("u1", 1, "v1")], "an event after a gap was applied before the missing one"
    assert row(rt, group, "user:u1")["parked"] == [3]
    second = put(user_created("u1", "v2"), 2)
    drive(loop, lambda: done_with(loop, second))
    assert seen == [("u1", 1, "v1"), ("u1", 2, "v2"), ("u1", 3, "v3")]
    assert row(rt, group, "user:u1")["version"] == 3 and row(rt, group, "user:u1")["parked"] == []
    assert rt.db.parked_events.count_documents({}) == 0


def test_events_of_types_the_group_does_not_handle_fill_their_place_in_the_versions(
        rt, loop_for, drive, put, user_created, group, seen, remember):
    put(user_created("u1", "v1"), 1)
    put(user_created("u1", "v2-not-ours") | {"type": "crm.user.updated",  # not handled here, so not checked either
                                              "dataschema": "urn:crm:contracts:crm.user.updated:v1"}, 2)
    last = put(user_created("u1", "v3"), 3)
    loop = loop_for(group, {USER: remember})
    drive(loop, lambda: done_with(loop, last))
    assert seen == [("u1", 1, "v1"), ("u1", 3, "v3")]


def test_an_admin_skips_a_gap_and_the_parked_events_are_applied_in_order(
        rt, loop_for, drive, put, user_created, group, seen, remember, servers, monkeypatch):
    put(user_created("u1", "v1"), 1)
    put(user_created("u1", "v4"), 4)
    last = put(user_created("u1", "v3"), 3)
    loop = loop_for(group, {USER: remember})
    drive(loop, lambda: done_with(loop, last))
    assert seen == [("u1", 1, "v1")]
    for name, value in (("MONGO_URI", servers.mongo_uri), ("MONGO_DB", rt.settings.mongo_db)):
        monkeypatch.setenv(name, value)
    dlq.main(["skip-gap", group, "user:u1"])  # as an admin runs it
    drive(loop, lambda: len(seen) == 3)
    assert seen == [("u1", 1, "v1"), ("u1", 3, "v3"), ("u1", 4, "v4")]
    assert row(rt, group, "user:u1")["holes"] == [[2, 2]]  # a fact of version 2 would still count if it came


def customer_event(rt, kind: str, version: int, **data) -> dict:
    stamp = {"created": "created_at", "payment_received": "recorded_at", "followed_up": "followed_up_at"}[kind]
    event = rt.event(f"crm.customer.{kind}", "T1", {
        **customer_snapshot("T1", owner_id="rep-a", version=version), stamp: "2026-06-30T02:00:00Z", "by": "u",
        **data})
    event["version"] = version
    return event


PAYMENT = {"payment_id": "PT", "contract_id": None, "amount": "800.00", "received_on": "2026-06-30",
           "paid_total": "800.00", "outstanding": "-800.00"}
FOLLOWUP = {"followup_id": "F1", "channel": "phone", "summary": "s", "goal_met": True,
            "next_contact_at": "2026-07-10T02:00:00Z"}


@pytest.fixture
def reporting(app_for):
    from reporting.app import create_app
    from reporting.service import on_start
    app = app_for(create_app, "reporting")
    on_start(app.extensions["crm"])
    return app


def paid(app, customer_id: str):
    """What the RFM report says the customer paid (None: not listed, as one who never paid)."""
    client, headers = app.test_client(), signed_in(app.extensions["crm"])
    report = client.get("/v1/reports/rfm", headers=headers).get_json()
    for segment in (s["segment"] for s in report["segments"] if s["count"]):
        items = client.get("/v1/reports/rfm", headers=headers, query_string={"segment": segment}).get_json()["items"]
        for item in items:
            if item["customer_id"] == customer_id:
                return item["monetary"], item["frequency"]
    return None


def test_a_payment_dead_lettered_then_redriven_after_a_later_follow_up_counts_in_reporting_once(
        rt, reporting, loop_for, drive, put, group, servers, monkeypatch):
    from reporting import service
    rrt = reporting.extensions["crm"]
    rrt.clock.set_offset(datetime(2026, 6, 30, 4, 0, tzinfo=timezone.utc) - datetime.now(timezone.utc))
    live, broken = service.live_handlers(rrt), {"payments": True}

    def payment(event, session):
        if broken["payments"]:
            raise RuntimeError("the payment ledger is being migrated")
        live["crm.customer.payment_received"](event, session)
    loop = loop_for(group, {**live, "crm.customer.payment_received": payment}, runtime=rrt)
    put(customer_event(rt, "created", 1))
    stuck = put(customer_event(rt, "payment_received", 2, **PAYMENT))
    later = put(customer_event(rt, "followed_up", 3, **FOLLOWUP))
    drive(loop, lambda: rrt.db.consumer_held.count_documents({"group": group}) == 1)
    for name, value in (("MONGO_URI", servers.mongo_uri), ("MONGO_DB", rrt.settings.mongo_db)):
        monkeypatch.setenv(name, value)
    dlq.main(["skip", group, stuck.topic, str(stuck.partition)])  # the admin moves it aside
    drive(loop, lambda: done_with(loop, later))
    assert paid(reporting, "T1") is None and row(rrt, group, "customer:T1")["version"] == 3

    broken["payments"] = False
    assert dlq.redrive(rrt.settings, group) == 1
    drive(loop, lambda: paid(reporting, "T1") is not None)
    assert paid(reporting, "T1") == ("800.00", 1)
    assert dlq.redrive(rrt.settings, group) == 1  # the same letter again: it counts once
    partition = TopicPartition(stuck.topic, stuck.partition)
    end = loop.consumer.end_offsets([partition])[partition]
    drive(loop, lambda: loop.consumer.committed(partition) == end)
    assert paid(reporting, "T1") == ("800.00", 1)

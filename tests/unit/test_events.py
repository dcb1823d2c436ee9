"""Every event leaves as a CloudEvents 1.0 envelope that matches its contract, or not at all."""
import contextvars
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from crm_common import tracing
from crm_common.events import InvalidEvent, decode, encode, new_event, topic_for

AT = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
USER = {"user_id": "u1", "username": "ann", "role": "rep", "department_path": ["d1"], "active": True}
RECLAIM = {"customer_id": "c1", "previous_owner_id": "u1", "reason": "no_followup",
           "reclaimed_at": "2026-03-01T09:30:00Z"}


def user_created(data=USER, **kwargs):
    return new_event("crm.user.created", "u1", data, source="customer", time=AT, **kwargs)


def test_the_envelope_is_cloudevents_1_0():
    event = user_created()
    assert event["specversion"] == "1.0"
    assert uuid.UUID(event["id"]).version == 4
    assert event["source"] == "/crm/customer"
    assert event["type"] == "crm.user.created" and event["subject"] == "u1"
    assert event["time"] == "2026-03-01T09:30:00Z"
    assert event["datacontenttype"] == "application/json"
    assert event["dataschema"] == "urn:crm:contracts:crm.user.created:v1"
    assert event["data"] == USER
    assert tracing.trace_id(event["traceparent"]) is not None


def test_each_event_gets_its_own_id():
    assert user_created()["id"] != user_created()["id"]


def test_time_is_stated_in_utc_whatever_zone_it_was_given_in():
    beijing = AT.astimezone(timezone(timedelta(hours=8)))
    event = new_event("crm.user.created", "u1", USER, source="customer", time=beijing)
    assert event["time"] == "2026-03-01T09:30:00Z"


def test_the_event_carries_the_trace_of_the_request_that_caused_it():
    incoming = tracing.new_traceparent()

    def inside_a_request():
        tracing.traceparent_var.set(incoming)
        return user_created()
    event = contextvars.copy_context().run(inside_a_request)
    assert event["traceparent"] == incoming


@pytest.mark.parametrize("data, field", [
    ({**USER, "role": "owner"}, "role"),
    ({k: v for k, v in USER.items() if k != "username"}, "username"),
    ({**USER, "department_path": "d1"}, "department_path"),
])
def test_data_that_breaks_the_contract_is_refused(data, field):
    with pytest.raises(InvalidEvent, match=field):
        user_created(data)


@pytest.mark.parametrize("good", ["2026-03-01T09:30:00Z", "2026-03-01T17:30:00.123+08:00"])
def test_a_timestamp_in_rfc_3339_is_accepted(good):
    data = {**RECLAIM, "reclaimed_at": good}
    assert new_event("crm.pool.customer_reclaimed", "c1", data, source="pool", time=AT)["data"] == data


@pytest.mark.parametrize("bad", ["yesterday", "2026-03-01", "2026-03-01T09:30:00", "2026-02-30T09:30:00Z"])
def test_a_timestamp_that_is_not_rfc_3339_is_refused(bad):
    with pytest.raises(InvalidEvent, match="reclaimed_at"):
        new_event("crm.pool.customer_reclaimed", "c1", {**RECLAIM, "reclaimed_at": bad}, source="pool", time=AT)


@pytest.mark.parametrize("event_type", ["crm.widget.created", "crm.user.renamed", "user.created", "crm.user"])
def test_an_unknown_type_or_aggregate_is_refused(event_type):
    with pytest.raises(InvalidEvent):
        new_event(event_type, "u1", USER, source="customer", time=AT)


def test_an_unknown_contract_version_is_refused():
    with pytest.raises(InvalidEvent, match="v7"):
        user_created(version=7)


def test_each_aggregate_has_its_own_topic():
    assert topic_for("crm.lead.received") == "crm.leads"
    assert topic_for("crm.customer.created") == "crm.customers"
    assert topic_for("crm.pool.customer_reclaimed") == "crm.pool"
    assert topic_for("crm.user.created") == topic_for("crm.department.created") == "crm.org"


def test_an_encoded_event_decodes_to_the_same_event():
    event = user_created({**USER, "username": "张三"})
    assert decode(encode(event)) == event
    assert "张三".encode() in encode(event)


@pytest.mark.parametrize("raw, reason", [
    (b"not json{", "not JSON"), (b"\xff\xfe", "not JSON"), (None, "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"specversion": "1.0", "id": "x", "data": {}}).encode(), "missing source, type"),
])
def test_a_message_that_is_not_a_cloudevent_is_refused(raw, reason):
    with pytest.raises(InvalidEvent, match=re.escape(reason)):
        decode(raw)

"""Webhook subscriptions: an app registers an endpoint and gets matching events as Standard Webhooks,
verified by the `standardwebhooks` library, in order per customer, retried then parked."""
import base64
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from crm_common.testing.events import data_of
from notify.deliveries import outbound as deliveries

from .conftest import allow_local_receivers


@pytest.fixture
def admin(client, token_for):
    return allow_local_receivers(client, token_for("u-admin", "admin"))


def subscribe(client, admin, url, types=("crm.customer.*",), **extra):
    made = client.post("/v1/subscriptions", headers=admin, json={"url": url, "types": list(types), **extra})
    assert made.status_code == 201, made.json
    return made.json


def test_a_customer_event_reaches_the_endpoint_verified_by_the_standardwebhooks_library(rt, client, admin, feed,
                                                                                         http):
    made = subscribe(client, admin, http.url + "/hook")
    assert made["secret"].startswith("whsec_")
    listed = client.get("/v1/subscriptions", headers=admin).json["items"]
    assert [s["id"] for s in listed] == [made["id"]] and "secret" not in listed[0]
    assert b"whsec_" not in bytes(rt.db.subscriptions.find_one()["secret"])  # sealed at rest
    event = feed.customer("C1")
    feed.lead("assigned", "L1")  # a type the subscription does not ask for
    deliveries.run(rt)
    [hook] = http.at("/hook")  # the lead's event was not sent
    assert hook["headers"]["content-type"] == "application/cloudevents+json"
    delivered = Webhook(made["secret"]).verify(hook["raw"], hook["headers"])
    assert delivered["id"] == event["id"] == hook["headers"]["webhook-id"]
    assert delivered["type"] == "crm.customer.created" and delivered["data"]["customer_id"] == "C1"


def test_a_failing_endpoint_is_retried_then_parked_and_later_events_of_the_customer_wait(rt, client, admin, feed,
                                                                                        http):
    subscribe(client, admin, http.url + "/hook")
    http.fail = 1
    first = feed.customer("C1")
    second = feed.customer("C1", kind="updated")
    deliveries.run(rt)
    assert len(http.at("/hook")) == 1  # the first failed; the second waits behind it
    rt.clock.set_offset(timedelta(seconds=6))
    deliveries.run(rt)
    deliveries.run(rt)
    ids = [r["headers"]["webhook-id"] for r in http.at("/hook")]
    assert ids == [first["id"], first["id"], second["id"]]

    http.fail = 99
    feed.customer("C2")
    offset = timedelta(seconds=6)
    for wait in (5, 300, 1800, 7200, 0):
        deliveries.run(rt)
        offset += timedelta(seconds=wait + 1)
        rt.clock.set_offset(offset)
    parked = client.get("/v1/deliveries?status=parked&channel=subscription", headers=admin).json["items"]
    assert len(parked) == 1 and parked[0]["last_error"] == "HTTPError: status 500" and parked[0]["attempts"] == 5


def test_bad_registrations_are_refused_naming_the_field(client, admin, token_for, http):
    metadata = client.post("/v1/subscriptions", headers=admin, json={
        "url": "http://169.254.169.254/latest", "types": ["crm.customer.*"]})
    assert metadata.status_code == 422 and metadata.json["errors"][0]["field"] == "url"
    private = client.post("/v1/subscriptions", headers=admin, json={"url": "http://10.1.2.3/hook",
                                                                    "types": ["crm.customer.*"]})
    assert private.status_code == 422 and private.json["errors"][0]["field"] == "url"
    bad = client.post("/v1/subscriptions", headers=admin, json={"url": http.url, "types": ["crm.nothing.*"]})
    assert bad.status_code == 400 and "types" in str(bad.json)
    bad = client.post("/v1/subscriptions", headers=admin, json={"url": http.url, "types": ["crm.customer.*"],
                                                                "secret": "not-a-secret"})
    assert bad.status_code == 400 and "secret" in str(bad.json)
    rep = client.post("/v1/subscriptions", headers=token_for("rep-1", "rep"), json={"url": http.url,
                                                                                   "types": ["crm.customer.*"]})
    assert rep.status_code == 403


def test_an_admin_changes_types_on_the_version_read_and_a_removed_subscription_sends_nothing(rt, client, admin,
                                                                                             feed, http):
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    made = subscribe(client, admin, http.url + "/hook", types=["crm.customer.created"], secret=secret)
    assert made["secret"] == secret
    path = f"/v1/subscriptions/{made['id']}"
    read = client.get(path, headers=admin)
    assert read.status_code == 200 and "secret" not in read.json
    assert client.patch(path, headers=admin, json={"types": ["crm.lead.*"]}).status_code == 428
    stale = client.patch(path, headers={**admin, "If-Match": '"7"'}, json={"types": ["crm.lead.*"]})
    assert stale.status_code == 412
    changed = client.patch(path, headers={**admin, "If-Match": read.headers["ETag"]}, json={"types": ["crm.lead.*"]})
    assert changed.status_code == 200 and changed.json["types"] == ["crm.lead.*"] and changed.json["version"] == 2
    feed.customer("C1")  # no longer asked for
    lead = feed.lead("assigned", "L1")
    deliveries.run(rt)
    assert [Webhook(secret).verify(r["raw"], r["headers"])["id"] for r in http.at("/hook")] == [lead["id"]]

    http.fail = 99
    feed.lead("contacted", "L1")
    deliveries.run(rt)  # failed once, queued for a retry
    assert client.delete(path, headers=admin).status_code == 204
    assert client.get(path, headers=admin).status_code == 404
    rt.clock.set_offset(timedelta(hours=3))
    deliveries.run(rt)
    assert len(http.at("/hook")) == 2  # the retry was not sent after the removal
    [left] = client.get("/v1/deliveries?channel=subscription&status=parked", headers=admin).json["items"]
    assert left["last_error"] == "the subscription was removed"


def test_registration_and_changes_are_audited_with_the_secret_and_url_masked(rt, client, admin, http):
    made = subscribe(client, admin, http.url + "/hook?token=IN-URL")
    client.patch(f"/v1/subscriptions/{made['id']}", headers={**admin, "If-Match": '"1"'}, json={"active": False})
    created, paused = client.get("/v1/audit?kind=subscription", headers=admin).json["items"]
    assert created["before"] is None and created["after"]["secret"] == "***" and created["after"]["url"] == "***"
    assert paused["before"]["active"] is True and paused["after"]["active"] is False
    assert [d["kind"] for d in data_of(rt, "crm.config.changed")][-2:] == ["subscription", "subscription"]
    kept = repr(list(rt.db.audit.find())) + repr(data_of(rt, "crm.config.changed")) + repr(
        list(rt.db.subscriptions.find()))
    assert made["secret"] not in kept and "IN-URL" not in kept
    assert client.get("/v1/subscriptions?active=false", headers=admin).json["items"][0]["id"] == made["id"]

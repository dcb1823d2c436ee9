"""The AsyncAPI 3.0 catalogue lists every contract under the topic its events travel on, with ids a code
generator keys on, its shared shapes once, and examples its contracts accept; the page shows it."""
import json
import re

from crm_common import catalogue, catalogue_page
from crm_common.events import contract_types, decode, encode, topic_for, validate

DOC = catalogue.asyncapi(["kafka-a:9092", "kafka-b:9092"])


def message_of(ref: dict) -> dict:
    return DOC["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]


def test_every_contract_is_in_the_catalogue_under_its_topic():
    listed = {(c["address"], message_of(ref)["name"]) for c in DOC["channels"].values() for ref in c["messages"].values()}
    assert listed == {(topic_for(t), f"{t}.v{v}") for t, v in contract_types()}
    assert DOC["asyncapi"] == "3.0.0" and DOC["channels"]["crm.customers"]["address"] == "crm.customers"


def test_each_type_has_a_message_id_and_a_receive_operation_on_its_channel():
    assert catalogue.message_id("crm.customer.owner_changed", 1) == "CustomerOwnerChangedV1"
    for event_type, version in contract_types():
        mid = catalogue.message_id(event_type, version)
        operation = DOC["operations"][f"receive{mid}"]
        assert operation["action"] == "receive"
        assert operation["channel"] == {"$ref": f"#/channels/{topic_for(event_type)}"}
        assert operation["messages"] == [{"$ref": f"#/channels/{topic_for(event_type)}/messages/{mid}"}]
    assert len(DOC["operations"]) == len(DOC["components"]["messages"]) == len(contract_types())


def test_servers_are_the_configured_brokers_and_a_production_placeholder():
    assert {k: s["host"] for k, s in DOC["servers"].items() if k != "production"} == {
        "broker1": "kafka-a:9092", "broker2": "kafka-b:9092"}
    assert catalogue.asyncapi(["127.0.0.1:19092"])["servers"]["configured"]["host"] == "127.0.0.1:19092"
    production = DOC["servers"]["production"]
    assert production["protocol"] == "kafka" and production["host"] == "{bootstrap}" and production["variables"]


def test_shared_shapes_are_referenced_and_every_reference_resolves():
    won = DOC["components"]["messages"]["CustomerWonV1"]["payload"]
    assert won["properties"]["data"]["allOf"] == [{"$ref": "#/components/schemas/customer_snapshot"}]
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(DOC)))
    assert {"customer_snapshot", "cloudevent", "money"} <= refs <= set(DOC["components"]["schemas"])


def test_a_customers_opportunity_events_are_listed_on_its_topic_keyed_by_the_customer():
    channel = DOC["channels"]["crm.customers"]
    names = {message_of(ref)["name"] for ref in channel["messages"].values()}
    assert {f"crm.opportunity.{e}.v1" for e in ("created", "updated", "stage_changed", "won", "lost", "deleted")} <= names
    won = DOC["components"]["messages"]["OpportunityWonV1"]["payload"]
    assert "partitionkey" in DOC["components"]["schemas"]["cloudevent"]["properties"]
    assert won["properties"]["data"]["allOf"] == [{"$ref": "#/components/schemas/opportunity_snapshot"}]


def test_every_message_says_structured_mode_and_carries_an_example_its_contract_accepts():
    for mid, message in DOC["components"]["messages"].items():
        assert message["headers"]["properties"]["content-type"]["const"].startswith("application/cloudevents+json")
        example = message["examples"][0]["payload"]
        validate(example)  # raises InvalidEvent naming the field if the example broke the contract
        assert decode(encode(example))["type"] == message["name"].rsplit(".v", 1)[0], mid


def test_the_page_shows_every_topic_and_message_and_loads_nothing_from_elsewhere():
    html = catalogue_page.page(DOC)
    for mid, message in DOC["components"]["messages"].items():
        assert f'id="{mid}"' in html and message["name"] in html and f"receive{mid}" in html
    assert all(f"Topic <code>{topic}</code>" in html for topic in DOC["channels"])
    assert "kafka-a:9092" in html and "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no CDN, nothing off the service

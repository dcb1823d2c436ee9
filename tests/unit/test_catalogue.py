"""The AsyncAPI catalogue lists every contract under the topic its events travel on."""
from crm_common import catalogue
from crm_common.events import contract_types, topic_for


def test_every_contract_is_in_the_catalogue_under_its_topic():
    channels = catalogue.asyncapi()["channels"]
    listed = {(topic, m["name"]) for topic, c in channels.items() for m in c["subscribe"]["message"]["oneOf"]}
    assert listed == {(topic_for(t), f"{t}.v{v}") for t, v in contract_types()}
    assert "crm.leads" in channels and "crm.customers" in channels


def test_a_customers_opportunity_events_are_listed_on_its_topic_keyed_by_the_customer():
    channel = catalogue.asyncapi()["channels"]["crm.customers"]
    messages = {m["name"]: m for m in channel["subscribe"]["message"]["oneOf"]}
    assert {f"crm.opportunity.{e}.v1" for e in ("created", "updated", "stage_changed", "won", "lost", "deleted")} <= set(
        messages)
    won = messages["crm.opportunity.won.v1"]["payload"]["properties"]
    assert "partitionkey" in won and won["data"]["allOf"] == [{"$ref": "#/components/schemas/opportunity_snapshot"}]

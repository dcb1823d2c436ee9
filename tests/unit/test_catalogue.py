"""The AsyncAPI catalogue lists every contract under the topic its events travel on."""
from crm_common import catalogue
from crm_common.events import contract_types, topic_for


def test_every_contract_is_in_the_catalogue_under_its_topic():
    channels = catalogue.asyncapi()["channels"]
    listed = {(topic, m["name"]) for topic, c in channels.items() for m in c["subscribe"]["message"]["oneOf"]}
    assert listed == {(topic_for(t), f"{t}.v{v}") for t, v in contract_types()}
    assert "crm.leads" in channels and "crm.customers" in channels

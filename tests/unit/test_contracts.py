"""The contracts folder: one valid JSON Schema per event type and version, named after both."""
import json
from datetime import datetime, timezone
import re

import jsonschema
import pytest

from crm_common.events import CONTRACTS, TOPIC_OF_AGGREGATE, contract_types, resolved, schema_for, shared_defs

FILES = sorted(p for p in CONTRACTS.iterdir() if p.is_file())
NAME = re.compile(r"^crm\.([a-z_]+)\.([a-z_]+)\.v([1-9][0-9]*)\.json$")


def test_there_are_contracts():
    assert len(FILES) >= 10 and len(contract_types()) == len(FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_contract_is_named_for_a_known_aggregate_and_a_version(path):
    match = NAME.match(path.name)
    assert match, f"{path.name} is not crm.<aggregate>.<event>.v<N>.json"
    assert match.group(1) in TOPIC_OF_AGGREGATE, f"{path.name}: unknown aggregate {match.group(1)!r}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_contract_is_a_valid_json_schema_of_an_object(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)
    whole = resolved(schema)  # with the shared shapes it names
    assert whole.get("type") == "object" and whole.get("required")
    assert set(whole["required"]) <= set(whole.get("properties", {}))


def test_every_shared_shape_is_a_valid_schema_and_every_reference_names_one():
    for uri, doc in shared_defs().items():
        jsonschema.validators.validator_for(doc).check_schema(doc)
        assert uri.startswith("urn:crm:contracts:") and doc["$defs"]
    names = {f"{uri}#/$defs/{name}" for uri, doc in shared_defs().items() for name in doc["$defs"]}
    refs = set(re.findall(r'"\$ref": "([^"]+)"', "".join(p.read_text(encoding="utf-8") for p in FILES)))
    refs |= set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(list(shared_defs().values()))))
    assert refs and refs <= names


@pytest.mark.parametrize("event_type", sorted(t for t, _ in contract_types() if t.startswith("crm.customer.")))
def test_every_customer_event_carries_the_one_customer_snapshot(event_type):
    schema = schema_for(event_type)
    assert {"$ref": "urn:crm:contracts:defs#/$defs/customer_snapshot"} in schema["allOf"]
    snapshot = shared_defs()["urn:crm:contracts:defs"]["$defs"]["customer_snapshot"]["properties"]
    assert not set(schema["properties"]) & set(snapshot), "a snapshot field is declared again, and may drift"


@pytest.mark.parametrize("event_type, version", contract_types())
def test_each_contract_is_found_by_its_type(event_type, version):
    assert schema_for(event_type, version)["title"]


def test_the_test_snapshot_factory_has_every_snapshot_field_and_validates():
    from crm_common.events import new_event
    from crm_common.testing.snapshots import SHAPE, contact, customer_snapshot

    snapshot = customer_snapshot("C9", owner_id=None, contacts=[contact(phones=["+8613800138000"])])
    assert set(snapshot) == set(SHAPE["properties"])
    new_event("crm.customer.updated", "C9", {**snapshot, "changed_fields": ["contacts"],
                                            "updated_at": "2026-12-01T08:00:00Z"},
              source="customer", time=datetime(2026, 12, 1, tzinfo=timezone.utc))
    with pytest.raises(TypeError, match="won_at"):
        customer_snapshot("C9", won_at="2026-12-01T08:00:00Z")

"""The contracts folder: one valid JSON Schema per event type and version, named after both."""
import json
import re

import jsonschema
import pytest

from crm_common.events import CONTRACTS, TOPIC_OF_AGGREGATE, contract_types, schema_for

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
    assert schema.get("type") == "object" and schema.get("required")
    assert set(schema["required"]) <= set(schema.get("properties", {}))


@pytest.mark.parametrize("event_type, version", contract_types())
def test_each_contract_is_found_by_its_type(event_type, version):
    assert schema_for(event_type, version)["title"]

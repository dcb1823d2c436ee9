"""What the customer service publishes is the one shared snapshot: every field of every
crm.customer.* event is declared (by the snapshot or by the event's own contract), with its type."""
import jsonschema

from crm_common.events import resolved, schema_for, shared_defs
from crm_common.testing.events import outbox_events

SNAPSHOT = resolved(shared_defs()["urn:crm:contracts:defs"]["$defs"]["customer_snapshot"])


def strict(schema: dict) -> dict:
    return {**schema, "additionalProperties": False}


def test_every_customer_event_publishes_the_declared_snapshot_and_nothing_undeclared(org, client, rt):
    alice = org.headers["alice"]
    customer = org.customer("alice", founded_on="2015-03-01", tags=["vip"], city="Hangzhou", industry="software",
                            contacts=[{"name": "Li Na", "phones": ["13900139000"], "birthday": "1985-04-02"}])
    url = f"/v1/customers/{customer['id']}"
    assert client.put(f"{url}/qualification", headers=alice, json={
        "qualitative": "valuable", "expected_amount": 600000, "expected_sign_date": "2027-01-31"}).status_code == 200
    assert client.post(f"{url}/milestones", headers=alice, json={"milestone": "pinned"}).status_code == 200
    published = [e for e in outbox_events(rt.db) if e["type"].startswith("crm.customer.")]
    assert {"crm.customer.created", "crm.customer.qualified"} <= {e["type"] for e in published}
    for event in published:
        snapshot = {k: v for k, v in event["data"].items() if k in SNAPSHOT["properties"]}
        assert set(snapshot) == set(SNAPSHOT["properties"]), event["type"]
        jsonschema.validate(snapshot, strict(SNAPSHOT))
        own = set(schema_for(event["type"])["properties"])
        undeclared = set(event["data"]) - set(SNAPSHOT["properties"]) - own
        assert not undeclared, f"{event['type']} publishes undeclared {sorted(undeclared)}"
    last = published[-1]["data"]
    assert (last["grade"], last["founded_on"], last["milestones"]["pinned"]) == ("large", "2015-03-01", True)
    assert last["birthdays"] == [{"contact_id": last["birthdays"][0]["contact_id"], "name": "Li Na",
                                  "birthday": "1985-04-02"}]

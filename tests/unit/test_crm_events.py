"""The subscriber kit's pure parts: its types are the contracts' (regenerated, they are unchanged), and
its version row gives the services' verdicts (crm_common.guard.decide) for every case of the rule."""
import typing

from crm_common.events import contract_types
from crm_events import Versions, generate, types


def test_the_typed_events_are_what_the_contracts_give_today():
    assert generate.main(["--check"]) == 0  # a contract changed without `python -m crm_events.generate` fails here
    assert set(types.DATA) == set(contract_types())


def test_a_type_extends_its_shared_shape_and_says_which_fields_are_required():
    won = types.DATA[("crm.customer.won", 1)]
    assert issubclass(won, dict) and won.__required_keys__ >= {"customer_id", "owner_id", "stage", "order_total"}
    assert typing.get_type_hints(won)["owner_id"] == str | None
    assert "from" in types.CustomerStageChangedV1.__required_keys__  # a keyword as a field name
    assert "department_id" in types.UserUpdatedV1.__required_keys__  # optional in the shape, required by the contract


def event(event_type: str, version: int, event_id: str = "") -> dict:
    return {"type": event_type, "subject": "C1", "version": version, "id": event_id or f"{event_type}-{version}"}


def test_the_subscribers_version_row_gives_the_services_verdicts():
    versions, updated, paid = Versions(), "crm.customer.updated", "crm.customer.payment_received"
    verdicts = [versions.admit(e) for e in [
        event(updated, 1), event(updated, 1),   # a repeat changes nothing
        event(updated, 4),                      # a jump: 2 and 3 were missed
        event(updated, 2),                      # a state older than the last applied: passed over
        event(paid, 3), event(paid, 3),         # a missed fact still counts, once
        event("crm.customer.deleted", 5), event(updated, 6),  # nothing after the delete
        {"type": updated, "subject": "C9", "id": "no-version"}, {"type": updated, "subject": "C9", "id": "no-version"},
    ]]
    assert verdicts == [True, False, True, False, True, False, True, False, True, False]

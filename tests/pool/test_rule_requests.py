"""An automation rule's return_to_pool, as the pool applies it: through the owner's own return path, only
while the owner the rule saw still owns the customer, to the rule's pool or the department's, with the
rule's reason; answered once on crm.automation.applied."""
import itertools
from datetime import datetime, timezone

from crm_common.consumer import deliver
from crm_common.events import CAUSED_BY, new_event
from crm_common.testing.events import data_of, of
from pool.service import handlers as pool_handlers

_runs = itertools.count(1)


def requested(customer_id, owner_id, *, pool_id=None, reason="no answer for 30 days", action_type="return_to_pool"):
    """A rule run's request, as the automation service publishes it."""
    run_id = f"run-{next(_runs)}"
    action = {"type": action_type, "reason": reason, **({"pool_id": pool_id} if pool_id else {})}
    if action_type != "return_to_pool":
        action = {"type": action_type, "to": {"user_id": "u1"}, "message": "hi"}
    data = {"request_id": f"{run_id}:0", "run_id": run_id, "rule_id": "rule-1", "rule_version": 1, "step": 0,
            "action": action, "record": {"kind": "customer", "id": customer_id, "customer_id": customer_id,
                                         "owner_id": owner_id},
            "expected": {"owner_id": owner_id}, "causation": {"run_ids": [run_id], "depth": 1, "event_id": None},
            "requested_at": datetime.now(timezone.utc).isoformat()}
    event = new_event("crm.automation.requested", data["request_id"], data, source="automation",
                      time=datetime.now(timezone.utc), key=customer_id,
                      caused_by={CAUSED_BY: run_id, "causedepth": 1})
    return {**event, "version": 1}


def apply(world, event) -> bool:
    return deliver(world.pool_rt, "pool", pool_handlers(world.pool_rt), event)


def answers(world):
    return data_of(world.pool_rt, "crm.automation.applied")


def test_a_rule_returns_a_customer_to_the_default_pool_with_its_reason(world):
    customer = world.customer("alice")
    world.settle()
    request = requested(customer["id"], world.id("alice"))
    assert apply(world, request)
    world.settle()
    shown = world.customer_client.get(f"/v1/customers/{customer['id']}", headers=world.customer_admin).json
    assert (shown["owner_id"], shown["in_pool"], shown["pool_id"]) == (None, True, "default")
    [answer] = answers(world)
    assert (answer["request_id"], answer["status"], answer["service"]) == (request["subject"], "applied", "pool")
    assert answer["result"]["pool_id"] == "default" and answer["result"]["previous_owner_id"] == world.id("alice")
    [returned] = of(world.pool_rt, "crm.pool.customer_returned")
    assert returned["data"]["reason"] == "no answer for 30 days" and returned["data"]["by"] == "rule:rule-1"
    assert returned[CAUSED_BY] == request["data"]["run_id"]  # so the rule never fires on its own return
    [asked] = of(world.pool_rt, "crm.pool.ownership_requested")
    assert asked[CAUSED_BY] == request["data"]["run_id"]


def test_the_return_goes_to_the_pool_the_rule_names(world):
    made = world.pool_client.post("/v1/pools", json={"name": "Key accounts"}, headers=world.admin)
    assert made.status_code == 201, made.json
    customer = world.customer("alice")
    world.settle()
    apply(world, requested(customer["id"], world.id("alice"), pool_id=made.json["id"]))
    world.settle()
    assert world.entry(customer["id"])["pool_id"] == made.json["id"]
    assert answers(world)[0]["result"]["pool_id"] == made.json["id"]


def test_a_return_is_refused_when_the_owner_changed_since_the_rule_saw_it(world):
    customer = world.customer("alice")
    world.settle()
    apply(world, requested(customer["id"], world.id("bob")))  # the rule saw bob; alice owns it now
    world.settle()
    assert world.stored_customer(customer["id"])["owner_id"] == world.id("alice")
    assert world.entry(customer["id"])["status"] == "owned"
    assert [(a["status"], a["reason"]) for a in answers(world)] == [("refused", "owner_changed")]
    assert of(world.pool_rt, "crm.pool.ownership_requested") == []


def test_an_unknown_pool_is_refused_and_nothing_moves(world):
    customer = world.customer("alice")
    world.settle()
    apply(world, requested(customer["id"], world.id("alice"), pool_id="no-such-pool"))
    assert [(a["status"], a["reason"]) for a in answers(world)] == [("refused", "unknown_pool")]
    assert world.entry(customer["id"])["status"] == "owned"


def test_a_redelivered_request_returns_once_and_other_services_requests_are_left_alone(world):
    customer = world.customer("alice")
    world.settle()
    request = requested(customer["id"], world.id("alice"))
    assert apply(world, request)
    assert not apply(world, request)  # the same request again: the version guard passes it over
    assert not answers(world)[1:]
    apply(world, requested(customer["id"], world.id("alice"), action_type="notify"))  # notify's to apply
    assert len(answers(world)) == 1
    assert world.pool_rt.db.movements.count_documents({"customer_id": customer["id"]}) == 1

"""No loops, with events that carry the causation extension as an applying service copies it
(crm_common.events.caused_by): two rules that would ping-pong a customer's tags stop after one round
each, a rule that sets a field it watches fires once, and a chain stops at depth 3."""
from crm_common.events import caused_by

from .conftest import applied, updated


def tagging(name, tag, priority=100, *, when=None, remove=None):
    """On a change of the tags (holding `when`, if given): add `tag` (and remove `remove`)."""
    change = {"type": "set_fields", "add_tags": [tag], **({"remove_tags": [remove]} if remove else {})}
    return {"name": name, "priority": priority,
            "trigger": {"type": "event", "event_type": "crm.customer.updated", "watched_fields": ["tags"]},
            "conditions": {"field": "record.tags", "op": "contains_any", "value": [when]} if when else {"all": []},
            "actions": [change]}


def apply_all(automation, seen: set, tags: list) -> int:
    """The customer service's side: each new request applied, its update published with the causation copied."""
    answered = 0
    for request in automation.requests():
        if request["request_id"] in seen:
            continue
        seen.add(request["request_id"])
        tags[:] = [t for t in tags if t not in request["action"].get("remove_tags", [])]
        tags.extend(t for t in request["action"].get("add_tags", []) if t not in tags)
        automation.deliver(updated("C1", ("tags",), tags=list(tags), caused_by=caused_by(request)))
        automation.deliver(applied(request, result={"tags": list(tags)}))
        answered += 1
    return answered


def test_two_rules_that_would_ping_pong_a_customers_tags_fire_once_each(automation):
    ping = automation.rule(tagging("ping: a -> b", "b", when="a", remove="a"))
    pong = automation.rule(tagging("pong: b -> a", "a", when="b", remove="b"))
    tags, seen = ["a"], set()
    automation.deliver(updated("C1", ("tags",), tags=list(tags)))  # a person tags the customer "a"
    rounds = 0
    while apply_all(automation, seen, tags):
        rounds += 1
        assert rounds < 10, "the rules loop"
    runs = automation.runs(record_id="C1")
    fired = [r["rule_id"] for r in runs if r["status"] == "completed"]
    assert fired == [ping["id"], pong["id"]]  # one round each
    # pong's answer carries ping's run: ping stops there, and pong too on it (its own run is in the chain)
    assert sorted(r["rule_id"] for r in runs if r["status"] == "skipped_loop") == sorted([ping["id"], ping["id"], pong["id"]])
    assert tags == ["a"] and rounds == 2


def test_a_rule_that_sets_a_field_it_watches_fires_once(automation):
    rule = automation.rule(tagging("self", "a"))
    tags, seen = [], set()
    automation.deliver(updated("C1", ("tags",), tags=[]))
    while apply_all(automation, seen, tags):
        pass
    runs = automation.runs(rule_id=rule["id"])
    assert [r["status"] for r in runs] == ["completed", "skipped_loop"]
    assert "own" in runs[1]["reason"] or "this rule" in runs[1]["reason"]
    assert len(automation.requests()) == 1


def test_a_chain_of_rules_stops_at_depth_three(automation):
    rules = [automation.rule(tagging(f"r{n}", f"t{n}", priority=n)) for n in range(4)]
    tags, seen = [], set()
    automation.deliver(updated("C1", ("tags",), tags=[]))
    # Every rule fires on what each other rule caused: chains of 1, 2, then 3 runs, where they stop.
    while apply_all(automation, seen, tags):
        pass
    deepest = max(len(r["chain"]) for r in automation.runs(record_id="C1"))
    assert deepest == 3
    at_limit = [r for r in automation.runs(record_id="C1") if len(r["chain"]) == 3]
    assert at_limit and {r["status"] for r in at_limit} == {"skipped_loop"}
    assert all(len(r["causation"]["run_ids"]) <= 3 for r in automation.requests())
    assert {r["id"] for r in rules} == {r["rule_id"] for r in automation.requests()}

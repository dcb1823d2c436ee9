"""No loops: an event caused by rule runs names them (the `causedby` extension, crm_common.events), so a
rule never fires on what its own runs caused, and a chain of runs stops at MAX_DEPTH.

So two rules that would ping-pong a customer's tags fire once each: the second sees the first's run in
the event its request caused, fires, and the first then finds its own run in the chain. A rule that
sets a field it watches fires once: the event its request causes names its own run.
"""
from __future__ import annotations

MAX_DEPTH = 3


def loop_reason(rule_id: str, chain_rules: list[str], depth: int) -> str | None:
    """Why the rule must not fire on an event whose chain holds runs of `chain_rules`, or None."""
    if rule_id in chain_rules:
        return f"the event was caused by a run of this rule (chain depth {depth})"
    if depth >= MAX_DEPTH:
        return f"the chain of rule runs reached depth {depth}, the limit is {MAX_DEPTH}"
    return None


def next_causation(chain: list[str], run_id: str, event_id: str | None) -> dict:
    """The causation a run's requests carry: the chain that led to it, then the run itself."""
    run_ids = [*chain, run_id]
    return {"run_ids": run_ids, "depth": len(run_ids), "event_id": event_id}


# The events each action makes its applying service publish (the customer's level and tags, its owner,
# a task, a notice): what a rule's own requests could trigger it again with.
CAUSES = {
    "set_fields": ("crm.customer.updated",),
    "assign_owner": ("crm.customer.owner_changed", "crm.customer.updated"),
    "return_to_pool": ("crm.customer.owner_changed", "crm.pool.customer_returned"),
    "create_task": ("crm.task.created", "crm.task.assigned"),
    "notify": ("crm.notification.sent", "crm.notification.failed"),
}
CHANGED_BY = {"set_fields": ("level", "tags"), "assign_owner": ("owner_id",), "return_to_pool": ("owner_id",)}


def self_triggering(trigger: dict, actions: list[dict]) -> list[str]:
    """Warnings for a rule whose own actions cause events its trigger listens on: it would fire on
    them once more, then stop (skipped_loop), which is rarely what its author meant."""
    warnings = []
    for step, action in enumerate(actions):
        caused = CAUSES.get(action["type"], ())
        fields = CHANGED_BY.get(action["type"], ())
        if trigger["type"] == "event" and trigger["event_type"] in caused:
            watched = trigger.get("watched_fields") or []
            if not watched or any(w.split(".")[0] in fields for w in watched) or not fields:
                warnings.append(f"actions.{step} ({action['type']}) causes {trigger['event_type']}, which "
                                "triggers this rule: it fires once more on it, then stops as a loop")
        elif trigger["type"] == "transition" and trigger["record"] == "customer" and trigger["field"] in fields:
            warnings.append(f"actions.{step} ({action['type']}) changes {trigger['field']}, which this rule "
                            "watches: it fires once more on it, then stops as a loop")
    return warnings

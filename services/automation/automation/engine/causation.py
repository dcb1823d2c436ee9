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

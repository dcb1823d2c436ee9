"""Pipeline stages and their conditions (DOMAIN §2, 节点). Pure: no I/O.

A stage's exit conditions must hold before the deal may move past it, so
entering a stage needs the exit conditions of every main-line stage before it.
A closing stage (won or lost) also needs its own conditions: `contract_signed`
needs a contract and invoice info, `lost` only a loss reason.
"""
from __future__ import annotations

from ..customers.contacts import has_contact_method

# condition key -> (what a user is told is missing, the check)
CONDITIONS = {
    "valid_contact": ("a valid contact method (phone, email or WeChat id)",
                      lambda c: has_contact_method(c.get("contacts", []))),
    "interest_expressed": ("the customer expressed interest (interest_expressed)",
                           lambda c: c.get("interest_expressed") is True),
    "needs_recorded": ("needs recorded and matching (needs, needs_matched)",
                       lambda c: bool(c.get("needs")) and c.get("needs_matched") is True),
    "proposal_attached": ("a proposal or quote attached (proposal_url, or a quote sent: POST /v1/quotes/<id>/send)",
                          lambda c: bool(c.get("proposal_url")) or c.get("quote_sent") is True),
    "terms_agreed": ("terms agreed (terms_agreed)", lambda c: c.get("terms_agreed") is True),
    "contract_attached": ("a contract attached (POST .../contracts)", lambda c: c.get("contract_count", 0) >= 1),
    "invoice_info": ("invoice info filled (invoice_info.title and tax_id)",
                     lambda c: bool((c.get("invoice_info") or {}).get("title"))
                     and bool((c.get("invoice_info") or {}).get("tax_id"))),
    "loss_reason": ("a loss reason", lambda c: bool(c.get("loss_reason"))),
}
ACTIONS = ("schedule_followup",)
CLOSES = ("won", "lost")


def _stage(key, name, conditions, days, rate, *, closes=None, actions=(), lifecycle_trigger=None) -> dict:
    return {"key": key, "name": name, "exit_conditions": list(conditions), "expected_days": days,
            "expected_rate": rate, "closes": closes, "actions": list(actions), "lifecycle_trigger": lifecycle_trigger}


DEFAULT_PIPELINE = {"_id": "default", "name": "Default sales process", "stages": [
    _stage("lead_acquired", "lead acquired", ["valid_contact"], [1, 3], 0.80),
    _stage("initial_contact", "initial contact", ["interest_expressed"], [3, 7], 0.60,
           actions=[{"kind": "schedule_followup", "days": 3}]),
    _stage("needs_confirmed", "needs confirmed", ["needs_recorded"], [7, 14], 0.45,
           lifecycle_trigger="demand_confirmed"),
    _stage("proposal", "proposal", ["proposal_attached"], [14, 21], 0.35,
           actions=[{"kind": "schedule_followup", "days": 7}]),
    _stage("negotiation", "negotiation", ["terms_agreed"], [21, 30], 0.25),
    _stage("contract_signed", "contract signed", ["contract_attached", "invoice_info"], [30, 45], 0.20,
           closes="won"),
    _stage("lost", "lost", ["loss_reason"], None, None, closes="lost", lifecycle_trigger="lost"),
]}
FIRST_STAGE = "lead_acquired"


def find(pipeline: dict, key: str) -> dict | None:
    return next((s for s in pipeline["stages"] if s["key"] == key), None)


def required_conditions(pipeline: dict, key: str) -> list[str]:
    """The condition keys that must hold to enter stage `key`, in pipeline order."""
    target = find(pipeline, key)
    if target is None:
        raise KeyError(key)
    if target.get("closes") == "lost":
        return list(target["exit_conditions"])
    required = []
    for stage in pipeline["stages"]:
        if stage["key"] == key:
            break
        if stage.get("closes") != "lost":
            required += stage["exit_conditions"]
    if target.get("closes") == "won":
        required += target["exit_conditions"]
    return list(dict.fromkeys(required))


def missing_conditions(pipeline: dict, customer: dict, key: str) -> list[dict]:
    """Each condition for entering `key` that does not hold now, as {condition, message}."""
    return [{"condition": name, "message": CONDITIONS[name][0]}
            for name in required_conditions(pipeline, key) if not CONDITIONS[name][1](customer)]


def passed(pipeline: dict, from_key: str, to_key: str) -> list[dict]:
    """The open stages a forward move from `from_key` to `to_key` skips over, in order (none for a
    move back, or to a closing stage: a deal lost early did not pass the stages it never reached)."""
    keys = [s["key"] for s in pipeline["stages"]]
    target = find(pipeline, to_key)
    if from_key not in keys or target is None or target.get("closes") == "lost":
        return []
    start, end = keys.index(from_key), keys.index(to_key)
    return [s for s in pipeline["stages"][start + 1:end] if not s.get("closes")]


def is_closed(pipeline: dict, key: str) -> bool:
    stage = find(pipeline, key)
    return bool(stage and stage.get("closes"))


def validate_pipeline(stages: list[dict]) -> list[dict]:
    """Field errors of a pipeline definition: unique keys, known conditions and actions, one first open stage."""
    errors, seen = [], set()
    for index, stage in enumerate(stages):
        if stage["key"] in seen:
            errors.append({"field": f"stages.{index}.key", "message": "duplicate stage key"})
        seen.add(stage["key"])
        for name in stage.get("exit_conditions", []):
            if name not in CONDITIONS:
                errors.append({"field": f"stages.{index}.exit_conditions",
                               "message": f"unknown condition {name!r}; known: {', '.join(CONDITIONS)}"})
    if stages and stages[0].get("closes"):
        errors.append({"field": "stages.0", "message": "the first stage cannot close the deal"})
    return errors

"""The stages a customer moves through (DOMAIN §2): the default pipeline, and the pipelines as the
admins set them (crm.pipeline.changed), which the funnel and the forecast compare against."""
from __future__ import annotations

from decimal import Decimal

# DOMAIN §2: the default pipeline, in order, with expected days (low, high) and expected rate.
STAGES = ("lead_acquired", "initial_contact", "needs_confirmed", "proposal", "negotiation",
          "contract_signed", "lost")
EXPECTED = {
    "lead_acquired": ((1, 3), "0.80"), "initial_contact": ((3, 7), "0.60"),
    "needs_confirmed": ((7, 14), "0.45"), "proposal": ((14, 21), "0.35"),
    "negotiation": ((21, 30), "0.25"), "contract_signed": ((30, 45), "0.20"),
}
CLOSED = ("contract_signed", "lost")
WON = "contract_signed"


def stage_order(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


def advanced(from_stage: str, to_stage: str) -> bool:
    """A move forward in the pipeline (losing the deal is not an advance)."""
    return to_stage != "lost" and stage_order(to_stage) > stage_order(from_stage)


def expectations(pipelines: list[dict]) -> tuple[list[str], dict]:
    """(stages in order, stage -> (expected days, expected rate)): DOMAIN's default pipeline as the admins
    have since set it (crm.pipeline.changed), then the other pipelines' stages; where pipelines share a
    stage key, the default pipeline's expectations, then the first pipeline's by id."""
    by_id = {p["_id"]: p for p in pipelines}
    default = by_id.pop("default", None)
    order, expected = ([], {}) if default else (list(STAGES), dict(EXPECTED))
    for pipeline in ([default] if default else []) + [by_id[k] for k in sorted(by_id)]:
        for stage in pipeline["stages"]:
            order.append(stage["key"])
            rate = stage.get("expected_rate")
            expected.setdefault(stage["key"], (stage.get("expected_days"), None if rate is None else str(rate)))
    return list(dict.fromkeys(order)), expected


def win_chance(pipelines: list[dict], pipeline_id: str | None, stage: str) -> Decimal:
    """The chance that an open deal in `stage` of its pipeline is won (DOMAIN §2, win chance): the
    probability an admin set on the stage, else the expected rate of the stage that wins the deal
    (contract signed) divided by the stage's own expected rate, at most 1; 0 when either rate is unknown.
    A deal without a known pipeline is weighed by the expectations the funnel shows."""
    pipeline = {p["_id"]: p for p in pipelines}.get(pipeline_id or "default")
    found = next((s for s in pipeline["stages"] if s["key"] == stage), None) if pipeline else None
    if found is not None:
        if found.get("win_probability") is not None:
            return Decimal(str(found["win_probability"]))
        won = next((s for s in pipeline["stages"] if s.get("closes") == "won"), None) or next(
            (s for s in pipeline["stages"] if s["key"] == WON), {})
        won_rate, rate = won.get("expected_rate"), found.get("expected_rate")
    else:
        expected = expectations(pipelines)[1]
        won_rate, rate = expected.get(WON, (None, None))[1], expected.get(stage, (None, None))[1]
    if won_rate is None or not rate or not Decimal(str(rate)):
        return Decimal(0)
    return min(Decimal(1), Decimal(str(won_rate)) / Decimal(str(rate)))


def closing_status(pipelines: list[dict], stage: str) -> str:
    """open, won or lost: what a deal in `stage` is (the pipelines' `closes`; DOMAIN's for its stages)."""
    for pipeline in pipelines:
        for found in pipeline["stages"]:
            if found["key"] == stage and found.get("closes"):
                return found["closes"]
    return {WON: "won", "lost": "lost"}.get(stage, "open")

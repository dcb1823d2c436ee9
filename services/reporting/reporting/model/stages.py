"""The stages a customer moves through (DOMAIN §2): the default pipeline, and the pipelines as the
admins set them (crm.pipeline.changed), which the funnel and the forecast compare against."""
from __future__ import annotations

# DOMAIN §2: the default pipeline, in order, with expected days (low, high) and expected rate.
STAGES = ("lead_acquired", "initial_contact", "needs_confirmed", "proposal", "negotiation",
          "contract_signed", "lost")
EXPECTED = {
    "lead_acquired": ((1, 3), "0.80"), "initial_contact": ((3, 7), "0.60"),
    "needs_confirmed": ((7, 14), "0.45"), "proposal": ((14, 21), "0.35"),
    "negotiation": ((21, 30), "0.25"), "contract_signed": ((30, 45), "0.20"),
}
CLOSED = ("contract_signed", "lost")


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

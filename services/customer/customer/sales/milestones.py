"""Milestones (里程碑) and the marks that move the lifecycle class by hand (DOMAIN §2).

Milestones: valuable, pinned to the rep's workbench (上首屏), target of the month
(加目标, with an expected signing month), signed (set only by a purchase: sales/lifecycle.purchase).
Marks: no current demand (-> nurturing), disqualified (-> invalid).
"""
from __future__ import annotations

from crm_common.kernel.refusals import Invalid

from . import lifecycle

SETTABLE = ("valuable", "pinned", "target")
MARKS = {"no_demand": "no_demand", "invalid": "disqualified"}  # mark -> lifecycle trigger


def set_milestone(customer: dict, name: str, *, target_month: str | None = None) -> None:
    milestones = customer.setdefault("milestones", {})
    if name == "target":
        if not target_month:
            raise Invalid("a target needs its expected signing month",
                          errors=[{"field": "target_month", "message": "required for target, as YYYY-MM"}])
        milestones["target_month"] = target_month
        lifecycle.reclassify(customer, "target_added")
    milestones[name] = True


def clear_milestone(customer: dict, name: str) -> None:
    if name not in SETTABLE:
        raise Invalid(f"the milestone {name!r} cannot be cleared by hand",
                      errors=[{"field": "milestone", "message": f"one of {', '.join(SETTABLE)}"}])
    milestones = customer.setdefault("milestones", {})
    milestones[name] = False
    if name == "target":
        milestones.pop("target_month", None)


def mark(customer: dict, name: str, reason: str | None) -> None:
    customer["lifecycle_note"] = reason
    lifecycle.reclassify(customer, MARKS[name])

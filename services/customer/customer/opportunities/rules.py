"""Opportunities (商机, DOMAIN §2): the decisions about a customer's deals. Pure: no I/O.

A customer has any number of deals. Each goes through its pipeline under the stage rules of
pipelines/ (transitions.enter decides the move on the deal, seen with its customer's contacts and
invoice info); the customer keeps what its deals add up to and shows its primary deal's stage.
"""
from __future__ import annotations

from dataclasses import dataclass

from crm_common.kernel import money
from crm_common.paging import new_id

from ..pipelines import stages, transitions
from ..sales import lifecycle, qualification

# What the rep learnt about the deal: the facts its stage conditions check, set with its PATCH.
DEAL_FIELDS = ("interest_expressed", "needs", "needs_matched", "proposal_url", "terms_agreed")
STATUSES = ("open", "won", "lost")
# what a customer's answer derives from its deals
DERIVED = ("open_opportunities", "pipeline_amount", "won_amount", "primary_opportunity_id")


@dataclass(frozen=True)
class Move:
    opportunity: dict      # the deal after the move
    customer: dict         # the customer's fields the move changes (lifecycle, next contact)
    record: dict           # the stage-history row
    events: list           # (type, data) of the crm.customer.* events of the stage rules
    opportunity_events: list  # (type, data) of crm.opportunity.stage_changed and won / lost


def new(customer: dict, pipeline: dict, fields: dict, *, at, inherit: bool = False) -> dict:
    """A new open deal of `customer` in the first stage of `pipeline`. `inherit`: it starts from the deal
    facts set on the customer, as old clients set them there."""
    deal = {k: customer.get(k) for k in DEAL_FIELDS if customer.get(k) is not None} if inherit else {}
    return {
        "_id": new_id(), "customer_id": customer["_id"], "name": fields.get("name") or customer["name"],
        "owner_id": fields.get("owner_id", customer.get("owner_id")), **scope_of(customer),
        "pipeline_id": pipeline["_id"], "stage": pipeline["stages"][0]["key"], "stage_entered_at": at,
        "status": "open", "amount": money.stored(fields.get("amount")),
        "expected_close_date": fields.get("expected_close_date"), "grade": None, "expected_amount": None,
        "expected_sign_date": None, "source_lead_id": fields.get("source_lead_id"), "loss_reason": None,
        "contract_count": 0, **deal, "created_at": at, "updated_at": at, "active_at": at, "version": 1,
    }


def scope_of(customer: dict) -> dict:
    """Who sees a deal, as customers are seen (crm_common.kernel.scope): its owner, and the customer's
    owner, collaborators and department."""
    others = [customer["owner_id"]] if customer.get("owner_id") else []
    return {"department_path": list(customer.get("department_path", [])),
            "collaborator_ids": list(dict.fromkeys(others + list(customer.get("collaborator_ids", []))))}


def status_of(pipeline: dict, key: str) -> str:
    stage = stages.find(pipeline, key) or {}
    return stage.get("closes") or "open"


def condition_view(customer: dict, deal: dict) -> dict:
    """The deal as its stage conditions see it: the customer's contacts and invoice info, the deal's own
    facts, stage and contracts."""
    return {**{k: v for k, v in customer.items() if k not in DEAL_FIELDS}, **{k: deal.get(k) for k in DEAL_FIELDS},
            "stage": deal["stage"], "stage_entered_at": deal.get("stage_entered_at"),
            "loss_reason": deal.get("loss_reason"), "contract_count": deal.get("contract_count", 0),
            "quote_sent": deal.get("quote_sent", False)}


def move(pipeline: dict, customer: dict, deal: dict, key: str, *, by: str, now, loss_reason=None) -> Move:
    """Move `deal` into stage `key`, or refuse as transitions.target does (409 naming what is missing)."""
    view = condition_view(customer, deal)
    step = transitions.enter(pipeline, view, key, by=by, now=now, loss_reason=loss_reason)
    after = {**deal, "stage": key, "stage_entered_at": now, "status": status_of(pipeline, key),
             "loss_reason": step.changes.get("loss_reason", view.get("loss_reason")), "active_at": now}
    changes = {k: step.changes[k] for k in ("lifecycle", "lifecycle_trigger", "next_contact_at") if k in step.changes}
    if after["status"] == "won" and wins_a_purchase(deal):
        bought = {**customer, **changes}
        lifecycle.purchase(bought)
        changes.update({k: bought[k] for k in ("purchases", "milestones", "lifecycle", "lifecycle_trigger")
                        if k in bought})
    stage = stages.find(pipeline, key)
    events = [("crm.opportunity.stage_changed", {
        "from": deal["stage"], "to": key, "by": by, "changed_at": now.isoformat(),
        "expected_days": stage.get("expected_days"), "expected_rate": stage.get("expected_rate")})]
    if after["status"] == "won":
        events.append(("crm.opportunity.won", {"by": by, "won_at": now.isoformat()}))
    elif after["status"] == "lost":
        events.append(("crm.opportunity.lost", {"reason": after["loss_reason"], "by": by, "lost_at": now.isoformat()}))
    return Move(after, changes, {**step.record, "opportunity_id": deal["_id"]}, step.events, events)


def wins_a_purchase(deal: dict) -> bool:
    """A deal won without a contract is a purchase of its own (a contract already counted as one)."""
    return deal.get("contract_count", 0) == 0


def qualify(deal: dict, body: dict) -> None:
    """定级 and 定量 on the deal: the grade follows the expected amount unless the rep states it."""
    amount = body.get("expected_amount", deal.get("expected_amount"))
    deal.update(expected_amount=money.stored(amount),
                expected_sign_date=body.get("expected_sign_date", deal.get("expected_sign_date")),
                grade=body.get("grade") or qualification.grade_for(amount))


def won_stage(pipeline: dict) -> str | None:
    """The stage an approved contract wins a deal into: `contract_signed`, or the pipeline's own won stage."""
    won = [s["key"] for s in pipeline["stages"] if s.get("closes") == "won"]
    return "contract_signed" if "contract_signed" in won else next(iter(won), None)


def won_by_contract(deal: dict | None, key: str) -> bool:
    """Is `deal` in stage `key` because its approved contract won it there?"""
    return bool(deal and deal["stage"] == key and deal.get("won_by_contract_id"))


def primary(deals: list[dict]) -> dict | None:
    """The deal old clients act on: the most recently active open one."""
    open_deals = [d for d in deals if d["status"] == "open"]
    return max(open_deals, key=lambda d: (d["active_at"], d["_id"])) if open_deals else None


def shown_deal(deals: list[dict]) -> dict | None:
    """The deal whose stage the customer shows: its primary deal, else its most recently active one."""
    return primary(deals) or max(deals, key=lambda d: (d["active_at"], d["_id"]), default=None)


def customer_fields(deals: list[dict]) -> dict:
    """What a customer derives from its deals: how many are open, 商机总额 (the open ones' amounts), the
    won amount, and the primary deal's stage (the most recently active one's when none is open)."""
    if not deals:
        return {"open_opportunities": 0, "pipeline_amount": money.stored(0), "won_amount": money.stored(0),
                "primary_opportunity_id": None}
    shown = shown_deal(deals)
    return {"open_opportunities": sum(1 for d in deals if d["status"] == "open"),
            "pipeline_amount": money.stored(money.total(*(d.get("amount") for d in deals if d["status"] == "open"))),
            "won_amount": money.stored(money.total(*(d.get("amount") for d in deals if d["status"] == "won"))),
            "primary_opportunity_id": shown["_id"] if shown["status"] == "open" else None,
            "pipeline_id": shown["pipeline_id"], "stage": shown["stage"], "stage_entered_at": shown["stage_entered_at"],
            "loss_reason": shown.get("loss_reason")}


def snapshot(deal: dict) -> dict:
    """What every crm.opportunity.* event carries."""
    return {"opportunity_id": deal["_id"], "customer_id": deal["customer_id"], "name": deal["name"],
            "owner_id": deal.get("owner_id"), "department_path": deal.get("department_path", []),
            "pipeline_id": deal["pipeline_id"], "stage": deal["stage"], "status": deal["status"],
            "amount": money.text(deal.get("amount")), "expected_close_date": deal.get("expected_close_date"),
            "grade": deal.get("grade"), "expected_amount": money.text(deal.get("expected_amount")),
            "expected_sign_date": deal.get("expected_sign_date"), "source_lead_id": deal.get("source_lead_id"),
            "loss_reason": deal.get("loss_reason")}


def changed_fields(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if k not in ("version", "updated_at", "active_at")
                  and before.get(k) != after.get(k))

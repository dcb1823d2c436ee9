"""Storing a customer's deals. Each write of a deal publishes its crm.opportunity.* events (subject the
deal, message key the customer, so they share the customer's partition) and refreshes what the customer
derives from its deals, in the caller's transaction; the customer is saved by the caller
(customers.change or `change` below), so its own events follow as they always have."""
from __future__ import annotations

import copy

from crm_common import concurrency
from crm_common.kernel import money
from crm_common.kernel.refusals import NotFound, Stale
from crm_common.paging import new_id
from crm_common.queries import both, find_one

from ..customers import customers
from ..pipelines import pipelines, stages
from ..tasks import playbooks
from . import rules


def of_customer(rt, session, customer_id: str) -> list[dict]:
    return list(rt.db.opportunities.find({"customer_id": customer_id}, session=session).sort("_id", 1))


def write(rt, session, before: dict | None, after: dict, events: list) -> None:
    """Insert or (if it is still the version read) replace the deal, and queue its events."""
    after["updated_at"] = customers.now(rt)
    if before is None:
        rt.db.opportunities.insert_one(after, session=session)
    else:
        after["version"] = before["version"] + 1
        stored = rt.db.opportunities.replace_one({"_id": before["_id"], "version": before["version"]}, after,
                                                 session=session)
        if stored.matched_count == 0:
            raise Stale("the opportunity changed meanwhile; read it again")
    base = rules.snapshot(after)
    rt.publish(session, *[rt.event(kind, after["_id"], {**base, **data}, key=after["customer_id"])
                          for kind, data in events])


def derive(rt, session, customer: dict, by: str) -> list:
    """Refresh the customer's fields derived from its deals; the crm.customer.updated of those that changed."""
    before = {k: customer.get(k) for k in (*rules.DERIVED, "stage")}
    customer.update(rules.customer_fields(of_customer(rt, session, customer["_id"])))
    changed = [k for k, v in before.items() if customer.get(k) != v]
    return [customers.updated(rt, by, *changed)] if changed else []


def new(rt, session, customer: dict, fields: dict, *, inherit: bool = False) -> dict:
    """A new open deal of `customer`, not stored yet, in its pipeline's first stage."""
    pipeline = pipelines.get(rt, fields.get("pipeline_id") or customer["pipeline_id"], session)
    return rules.new(customer, pipeline, fields, at=customers.now(rt), inherit=inherit)


def created(rt, session, deal: dict, by: str) -> tuple:
    """crm.opportunity.created, with its first stage's expected days (notify's stage-stay reminder)."""
    stage = stages.find(pipelines.get(rt, deal["pipeline_id"], session), deal["stage"]) or {}
    return "crm.opportunity.created", {"by": by, "created_at": deal["created_at"].isoformat(),
                                       "expected_days": stage.get("expected_days")}


def open_new(rt, session, customer: dict, fields: dict, *, by: str, inherit: bool = False) -> dict:
    """Store a new open deal of `customer`. One made for an old client (`inherit`) starts from the deal
    facts set on the customer and takes over the customer's contracts no deal holds yet."""
    deal = new(rt, session, customer, fields, inherit=inherit)
    if inherit:
        loose = {"customer_id": customer["_id"], "opportunity_id": None}
        # only an approved contract meets the contract condition (one stored before approval has no status)
        deal["contract_count"] = rt.db.contracts.count_documents(
            {**loose, "status": {"$nin": ["draft", "pending_approval", "rejected"]}}, session=session)
        if rt.db.contracts.count_documents(loose, session=session):
            rt.db.contracts.update_many(loose, {"$set": {"opportunity_id": deal["_id"]}}, session=session)
    write(rt, session, None, deal, [created(rt, session, deal, by)])
    playbooks.moved(rt, session, None, deal, by=by)
    return deal


def enter(rt, session, customer: dict, deal: dict, body: dict, *, by: str,
          contract_id: str | None = None) -> tuple[dict, list]:
    """Move the deal into `body["stage"]` (recorded with actor and time); the deal after it, and the
    customer's events: those of the stage rules when the customer now shows this deal's new stage.
    `contract_id`: the approved contract that wins the deal (the move and its history row name it)."""
    if contract_id is None and rules.won_by_contract(deal, body["stage"]):
        return deal, []  # its approved contract moved it there already: a client's own move finds it done
    pipeline = pipelines.get(rt, deal["pipeline_id"], session)
    step = playbooks.gated(playbooks.missing(rt, session, pipeline, deal, body["stage"]), body["stage"],
                           lambda: rules.move(pipeline, customer, deal, body["stage"], by=by, now=customers.now(rt),
                                              loss_reason=body.get("loss_reason")))
    if contract_id is not None:
        step.opportunity["won_by_contract_id"] = step.record["contract_id"] = contract_id
    rt.db.stage_history.insert_one({"_id": new_id(), **step.record}, session=session)
    write(rt, session, deal, step.opportunity, step.opportunity_events)
    playbooks.moved(rt, session, deal, step.opportunity, by=by)
    shown = customer["stage"]
    customer.update(step.customer)
    updated = derive(rt, session, customer, by)
    if customer["stage"] != shown and customer["stage"] == step.opportunity["stage"]:
        return step.opportunity, [(kind, {**data, "from": shown} if kind == "crm.customer.stage_changed" else data)
                                  for kind, data in step.events]
    scheduled = [e for e in step.events if e[0] == "crm.customer.followup_scheduled"]
    return step.opportunity, scheduled + updated


def edit(rt, session, customer: dict, deal: dict, body: dict, *, by: str) -> tuple[dict, list]:
    """Change the deal's fields (定级 and 定量 as rules.qualify decides); the deal after, and the
    customer's events."""
    after = copy.deepcopy(deal)
    grading = {k: body[k] for k in ("grade", "expected_amount", "expected_sign_date") if k in body}
    after.update({k: money.stored(v) if k == "amount" else v for k, v in body.items() if k not in grading})
    if grading:
        rules.qualify(after, grading)
    if "amount" in body and "amount_source" not in body:
        after["amount_source"] = None  # typed by a rep: no longer the accepted quote's total
    changed = rules.changed_fields(deal, after)
    if not changed:
        return deal, []
    after["active_at"] = customers.now(rt)
    write(rt, session, deal, after, [("crm.opportunity.updated", {
        "changed_fields": changed, "by": by, "updated_at": customers.now(rt).isoformat()})])
    return after, derive(rt, session, customer, by)


def change(rt, deal_id: str, work, *, scope: dict, expected=None) -> dict:
    """Load the deal in `scope` and its customer, let `work(session, customer, deal)` store the deal's change
    and return (deal, customer events), save the customer; the deal as it is now."""
    def run(session):
        deal = find_one(rt.db.opportunities, both({"_id": deal_id}, scope), session)
        if deal is None:
            raise NotFound("no such opportunity")  # the same answer whether it exists or is out of scope
        concurrency.check(deal, expected)
        before = rt.db.customers.find_one({"_id": deal["customer_id"]}, session=session)
        customer = copy.deepcopy(before)
        deal, events = work(session, customer, deal)
        if customer != before or events:
            customers.save(rt, session, before, customer, events)
        return deal
    return rt.transaction(run)


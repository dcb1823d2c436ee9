"""Contracts through their approval: made on a deal (or a customer's primary deal), submitted, approved
step by step or rejected, each decision recorded on the contract with actor, time and comment and published
(crm.contract.*, subject the contract, message key the customer so they keep order with its events).

Only on its final approval does a contract count: the customer's order total and lifecycle, its deal's
contract condition, and crm.customer.contract_signed, which starts the renewal reminders; and it wins its
deal (winning.py)."""
from __future__ import annotations

from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict, Forbidden, Invalid, NotFound, Stale
from crm_common.paging import new_id

from ..customers import customers
from ..opportunities import rules as deal_rules
from ..opportunities import store as deals
from ..sales import lifecycle
from . import approval, thresholds, winning


def make(rt, customer_id: str, body: dict, *, principal, scope: dict, opportunity_id=None) -> tuple[dict, dict]:
    """A new contract: a draft if asked, else submitted at once (approved at once at or below the threshold)."""
    if body["end_date"] < body["start_date"]:
        raise Invalid("the contract ends before it starts",
                      errors=[{"field": "end_date", "message": "must not be before start_date"}])
    fields = {k: v for k, v in body.items() if k != "draft"}
    contract = {**fields, "_id": new_id(), "customer_id": customer_id, "amount": money.stored(body["amount"]),
                "paid": money.stored(0), "invoiced": money.stored(0), "by": principal.user_id, "status": "draft",
                "decisions": [], "awaiting": None, "version": 1}

    def mutate(session, customer):
        deal = _deal_of(rt, session, customer, opportunity_id)
        contract.update(opportunity_id=deal["_id"] if deal else None, owner_id=customer.get("owner_id"),
                        created_at=customers.now(rt))
        events = [] if body.get("draft") else _submit(rt, session, customer, contract, principal.user_id)
        rt.db.contracts.insert_one(contract, session=session)
        return events
    customer = customers.change(rt, customer_id, mutate, scope=scope, made=contract)
    return contract, customer


def submit(rt, contract_id: str, *, principal, scope: dict) -> dict:
    def work(session, customer, contract):
        if contract["status"] != "draft":
            raise Conflict(f"the contract is {contract['status']}, not a draft")
        return _submit(rt, session, customer, contract, principal.user_id)
    return change(rt, contract_id, work, scope=scope)


def decide(rt, contract_id: str, verdict: str, comment: str | None, *, principal, scope: dict) -> dict:
    """Approve or reject the step the contract waits for: only its approver may (403 for anyone else)."""
    def work(session, customer, contract):
        if contract["status"] != "pending_approval":
            raise Conflict(f"the contract is {contract['status']}, not waiting for approval")
        if not approval.may_decide(principal, contract["awaiting"]):
            raise Forbidden(f"only the contract's {contract['awaiting']['step']} approver may decide this step")
        if verdict == "approve":
            return _approve(rt, session, customer, contract, principal.user_id, comment)
        now = customers.now(rt)
        step = contract["awaiting"]["step"]
        contract.update(status="rejected", awaiting=None)
        _decision(rt, session, contract, "rejected", {"step": step, "by": principal.user_id, "at": now,
                                                      "comment": comment})
        return []
    return change(rt, contract_id, work, scope=scope)


def _deal_of(rt, session, customer: dict, opportunity_id) -> dict | None:
    """The deal a contract belongs to: the one named, else the customer's primary deal (none open: the next
    deal opened for an old client takes it)."""
    if opportunity_id is not None:
        return rt.db.opportunities.find_one({"_id": opportunity_id}, session=session)
    return deal_rules.primary(deals.of_customer(rt, session, customer["_id"]))


def _submit(rt, session, customer: dict, contract: dict, by: str) -> list:
    now = customers.now(rt)
    steps = approval.steps_for(contract["amount"], thresholds.current(rt, session))
    contract.update(status="pending_approval", steps=steps, submitted_at=now,
                    awaiting=_approvers(rt, session, contract, steps[0]) if steps else None)
    _decision(rt, session, contract, "submitted", {"by": by, "at": now, "comment": None})
    if not steps:
        return _approve(rt, session, customer, contract, by, "within the approval threshold", automatic=True)
    return []


def _approve(rt, session, customer: dict, contract: dict, by: str, comment, *, automatic=False) -> list:
    now = customers.now(rt)
    step = contract["awaiting"]["step"] if contract.get("awaiting") else None
    done = [d["step"] for d in contract["decisions"] if d["decision"] == "approved"] + ([step] if step else [])
    left = [s for s in contract["steps"] if s not in done]
    contract["awaiting"] = _approvers(rt, session, contract, left[0]) if left else None
    if not left:
        contract.update(status="approved", approved_at=now)
    _decision(rt, session, contract, "approved", {"step": step, "by": by, "at": now, "comment": comment,
                                                  "automatic": automatic, "final": not left})
    return [] if left else _counted(rt, session, customer, contract, by)


def _counted(rt, session, customer: dict, contract: dict, by: str) -> list:
    """The contract now counts: toward the customer's totals and lifecycle, and its deal's contract condition."""
    now = customers.now(rt)
    deal = _deal_of(rt, session, customer, contract.get("opportunity_id"))
    events = []
    if deal is not None:
        contract["opportunity_id"] = deal["_id"]
        deal, events = deals.edit(rt, session, customer, deal,
                                  {"contract_count": deal.get("contract_count", 0) + 1}, by=by)
    customer["contract_count"] = customer.get("contract_count", 0) + 1
    customer["order_total"] = money.stored(money.total(customer.get("order_total"), contract["amount"]))
    refresh_billing(customer)
    contract["signed_at"] = now
    lifecycle.purchase(customer)
    activate(rt, session, contract)
    events.append(("crm.customer.contract_signed", {
        "contract_id": contract["_id"], "title": contract.get("title"), "amount": money.text(contract["amount"]),
        "start_date": contract["start_date"], "end_date": contract["end_date"],
        "order_total": money.text(customer["order_total"]), "by": by, "signed_at": now.isoformat()}))
    # after the totals: the deal's win reports the order total with this contract in it
    return events + (winning.win(rt, session, customer, deal, contract, by=by) if deal is not None else [])


def activate(rt, session, contract: dict) -> bool:
    """Move an approved contract to active on its start date (expired after its end date); True if it moved."""
    status = approval.status_on(contract, customers.now(rt).date().isoformat())
    if status == contract["status"]:
        return False
    contract["status"] = status
    if status == "active":
        _publish(rt, session, contract, "crm.contract.activated", {"activated_at": customers.now(rt).isoformat()})
    return True


def refresh_billing(customer: dict) -> None:
    """What of the customer's order total is not invoiced yet."""
    customer["invoiced_total"] = money.stored(money.total(customer.get("invoiced_total")))
    customer["uninvoiced_total"] = money.stored(approval.remaining(money.total(customer.get("order_total")),
                                                                  customer["invoiced_total"]))


def _approvers(rt, session, contract: dict, step: str) -> dict:
    """Who decides `step`: the managers of the nearest department up the owner's path that has one (other
    than the owner); an admin for the second step, or when no department up the path has a manager."""
    if step == approval.MANAGER:
        owner = rt.db.users.find_one({"_id": contract.get("owner_id")}, session=session) or {}
        for department_id in reversed(owner.get("department_path") or []):
            ids = [u["_id"] for u in rt.db.users.find({"role": "manager", "active": True,
                                                       "department_id": department_id}, {"_id": 1}, session=session)
                   if u["_id"] != owner.get("_id")]
            if ids:
                return {"step": step, "approver_ids": sorted(ids), "role": None}
    return {"step": step, "approver_ids": [], "role": approval.ADMIN}


def _decision(rt, session, contract: dict, decision: str, record: dict) -> None:
    contract["decisions"] = [*contract["decisions"], {"decision": decision, **record}]
    data = {**{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in record.items()},
            "awaiting": contract["awaiting"]}
    _publish(rt, session, contract, f"crm.contract.{decision}", data)


def snapshot(contract: dict) -> dict:
    """What every crm.contract.* event carries."""
    return {"contract_id": contract["_id"], "customer_id": contract["customer_id"],
            "opportunity_id": contract.get("opportunity_id"), "owner_id": contract.get("owner_id"),
            "title": contract.get("title"), "number": contract.get("number"), "amount": money.text(contract["amount"]),
            "start_date": contract["start_date"], "end_date": contract["end_date"], "status": contract["status"]}


def _publish(rt, session, contract: dict, kind: str, data: dict) -> None:
    rt.publish(session, rt.event(kind, contract["_id"], {**snapshot(contract), **data}, key=contract["customer_id"]))


def change(rt, contract_id: str, work, *, scope: dict, made: dict | None = None) -> dict:
    """Load the contract, let `work(session, customer, contract)` change it and return the customer's events;
    save both (the contract only if it is still the version read). The contract as it is now; `made`, a
    record `work` fills in (an invoice), is kept for a retried request as customers.change keeps it."""
    found = rt.db.contracts.find_one({"_id": contract_id}, {"customer_id": 1})
    if found is None:
        raise NotFound("no such contract")
    kept = {}

    def mutate(session, customer):
        contract = rt.db.contracts.find_one({"_id": contract_id}, session=session)
        version = contract.get("version", 1)
        events = work(session, customer, contract)
        contract["version"] = version + 1
        stored = rt.db.contracts.replace_one({"_id": contract_id, "version": {"$in": [version, None]}
                                              if version == 1 else version}, contract, session=session)
        if stored.matched_count == 0:
            raise Stale("the contract changed meanwhile; read it again")
        kept.update(contract)
        return events
    try:
        customers.change(rt, found["customer_id"], mutate, scope=scope, made=kept if made is None else made)
    except NotFound:
        raise NotFound("no such contract") from None  # the same answer whether it exists or is out of scope
    return kept if made is None else rt.db.contracts.find_one({"_id": contract_id})

"""What old clients call on a customer acts on its primary deal (the most recently active open one, or a
new one when none is open): its stage, its 定级 and 定量, and the deal facts of a customer's PATCH. They
answer as before; the routes add a Deprecation header naming the opportunity's own route."""
from __future__ import annotations

from crm_common.kernel.refusals import Conflict

from ..customers import customers
from ..sales import qualification
from . import rules, store


def primary(rt, session, customer: dict, *, by: str) -> dict:
    deal = rules.primary(store.of_customer(rt, session, customer["_id"]))
    return deal or store.open_new(rt, session, customer, {}, by=by, inherit=True)


def enter_stage(rt, customer_id: str, body: dict, *, by: str, scope: dict, expected) -> tuple[dict, str]:
    """POST /v1/customers/<id>/stage: the customer after the move, and the deal that moved."""
    moved = {}

    def mutate(session, customer):
        deals = store.of_customer(rt, session, customer_id)
        if customer["stage"] == body["stage"] and rules.primary(deals) is None:
            shown = rules.shown_deal(deals)
            if rules.won_by_contract(shown, body["stage"]):  # its approved contract won it: done, as asked
                moved["opportunity_id"] = shown["_id"]
                return []
            raise Conflict(f"the customer is already in stage {body['stage']}")  # as before deals had their own
        deal, events = store.enter(rt, session, customer, primary(rt, session, customer, by=by), body, by=by)
        moved["opportunity_id"] = deal["_id"]
        return events
    customer = customers.change(rt, customer_id, mutate, scope=scope, expected=expected, made=moved)
    return customer, moved["opportunity_id"]


def qualify(rt, customer_id: str, body: dict, *, by: str, scope: dict, expected) -> tuple[dict, str]:
    """PUT /v1/customers/<id>/qualification: 定性 stays on the customer, 定级 and 定量 go to its deal."""
    graded = {}

    def mutate(session, customer):
        data = qualification.qualify(customer, body, by=by, at=customers.now(rt))
        grading = {"grade": data["grade"], "expected_amount": body.get("expected_amount"),
                   "expected_sign_date": body.get("expected_sign_date")}
        deal, events = store.edit(rt, session, customer, primary(rt, session, customer, by=by), grading, by=by)
        graded["opportunity_id"] = deal["_id"]
        return [("crm.customer.qualified", data)] + events
    customer = customers.change(rt, customer_id, mutate, scope=scope, expected=expected, made=graded)
    return customer, graded["opportunity_id"]


def learnt(rt, session, customer: dict, body: dict, *, by: str) -> list:
    """A customer's PATCH naming deal facts sets them on its primary deal too, if one is open."""
    facts = {k: body[k] for k in rules.DEAL_FIELDS if k in body}
    deal = rules.primary(store.of_customer(rt, session, customer["_id"])) if facts else None
    return store.edit(rt, session, customer, deal, facts, by=by)[1] if deal else []

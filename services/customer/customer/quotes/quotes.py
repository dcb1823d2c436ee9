"""Storing quotes. A quote is seen as its opportunity is (another rep's: 404). Sending freezes that
version: a later edit makes the next version as a new draft, and the sent one stays as it was sent.
Sending, accepting and rejecting change the opportunity in the same transaction (a sent quote is the
proposal its stage asks for; an accepted one sets its amount) and publish crm.quote.*, keyed by the
customer so they keep order with the customer's events."""
from __future__ import annotations

import copy

from bson.decimal128 import Decimal128

from crm_common import concurrency
from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict, Invalid, NotFound, Stale
from crm_common.paging import new_id
from crm_common.queries import both, find_one

from ..customers import customers
from ..opportunities import store as opportunities
from . import pricing, products


def today(rt) -> str:
    return customers.now(rt).date().isoformat()


def deal_in_scope(rt, opportunity_id: str, scope: dict, session=None) -> dict:
    deal = find_one(rt.db.opportunities, both({"_id": opportunity_id}, scope), session)
    if deal is None:
        raise NotFound("no such opportunity")  # the same answer whether it exists or is out of scope
    return deal


def visible(rt, quote_id: str, scope: dict, session=None) -> dict:
    """The quote, with its status as of today, if the caller sees its opportunity."""
    quote = rt.db.quotes.find_one({"_id": quote_id}, session=session)
    if quote is None or find_one(rt.db.opportunities, both({"_id": quote["opportunity_id"]}, scope), session) is None:
        raise NotFound("no such quote")
    return shown(rt, quote)


def shown(rt, quote: dict) -> dict:
    return {**quote, "status": pricing.status_on(quote, today(rt))}


def of_opportunity(rt, opportunity_id: str, scope: dict) -> list[dict]:
    deal_in_scope(rt, opportunity_id, scope)
    found = rt.db.quotes.find({"opportunity_id": opportunity_id}).sort([("first_id", 1), ("quote_version", 1)])
    return [shown(rt, q) for q in found.limit(500)]


def _priced(rt, session, lines: list[dict]) -> dict:
    """The lines as stored (a product line takes its name and list price unless given) and the totals."""
    stored, figures = [], []
    for index, given in enumerate(lines):
        product = products.for_line(rt, session, given["product_id"], index) if given.get("product_id") else {}
        unit_price = given["unit_price"] if given.get("unit_price") is not None else product["list_price"]
        figure = pricing.line(given["quantity"], unit_price, given.get("discount"))
        if figure["gross"] > money.MAX:
            raise Invalid("a quote line comes to more than any deal", errors=[
                {"field": f"lines.{index}.quantity", "message": f"quantity × unit price is over {money.MAX}"}])
        figures.append(figure)
        stored.append({"product_id": product.get("_id"), "code": product.get("code"),
                       "description": given.get("description") or product["name"], "unit": product.get("unit"),
                       "quantity": Decimal128(pricing.decimal(given["quantity"])),
                       "unit_price": money.stored(unit_price),
                       "discount": Decimal128(pricing.decimal(given.get("discount") or 0)),
                       **{k: money.stored(v) for k, v in figure.items()}})
    totals = pricing.totals(figures)
    if totals["subtotal"] > money.MAX:
        raise Invalid("the quote comes to more than any deal",
                      errors=[{"field": "lines", "message": f"the lines add up to more than {money.MAX}"}])
    return {"lines": stored, **{k: money.stored(v) for k, v in totals.items()}}


def create(rt, opportunity_id: str, body: dict, *, by: str, scope: dict) -> dict:
    def write(session):
        deal = deal_in_scope(rt, opportunity_id, scope, session)
        quote_id, now = new_id(), customers.now(rt)
        quote = {"_id": quote_id, "first_id": quote_id, "quote_version": 1, "previous_id": None,
                 "opportunity_id": deal["_id"], "customer_id": deal["customer_id"], "status": pricing.DRAFT,
                 "valid_until": body["valid_until"], "note": body.get("note"), **_priced(rt, session, body["lines"]),
                 "created_by": by, "created_at": now, "updated_at": now, "version": 1}
        rt.db.quotes.insert_one(quote, session=session)
        return quote
    return shown(rt, rt.transaction(write))


def edit(rt, quote_id: str, body: dict, *, by: str, scope: dict, expected) -> tuple[dict, bool]:
    """Edit a draft in place; a sent quote's edit becomes its next version, a new draft. The quote as it is
    now, and whether it is a new version."""
    def write(session):
        quote = visible(rt, quote_id, scope, session)
        concurrency.check(quote, expected)
        if quote["status"] == pricing.SENT:
            return _next_version(rt, session, quote, body, by=by), True
        pricing.may("edit", quote, today(rt))
        after = {**quote, **{k: body[k] for k in ("valid_until", "note") if k in body}}
        if "lines" in body:
            after.update(_priced(rt, session, body["lines"]))
        after.update(version=quote["version"] + 1, updated_at=customers.now(rt))
        replace(rt, session, quote, after)
        return after, False
    quote, is_new = rt.transaction(write)
    return shown(rt, quote), is_new


def _next_version(rt, session, sent: dict, body: dict, *, by: str) -> dict:
    draft = rt.db.quotes.find_one({"first_id": sent["first_id"], "status": pricing.DRAFT}, session=session)
    if draft is not None:
        raise Conflict(f"version {draft['quote_version']} of this quote is already a draft: edit that one",
                       reason="quote_draft_exists", draft_id=draft["_id"])
    latest = rt.db.quotes.find_one({"first_id": sent["first_id"]}, sort=[("quote_version", -1)], session=session)
    now = customers.now(rt)
    quote = {**copy.deepcopy(sent), "_id": new_id(), "quote_version": latest["quote_version"] + 1,
             "previous_id": sent["_id"], "status": pricing.DRAFT, "created_by": by, "created_at": now,
             "updated_at": now, "version": 1, **{k: body[k] for k in ("valid_until", "note") if k in body}}
    for key in ("sent_at", "sent_by"):
        quote.pop(key, None)
    if "lines" in body:
        quote.update(_priced(rt, session, body["lines"]))
    rt.db.quotes.insert_one(quote, session=session)
    return quote


def replace(rt, session, before: dict, after: dict) -> None:
    stored = rt.db.quotes.replace_one({"_id": before["_id"], "version": before["version"]}, after, session=session)
    if stored.matched_count == 0:
        raise Stale("the quote changed meanwhile; read it again")

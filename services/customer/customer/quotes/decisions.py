"""Sending, accepting and rejecting a quote, with what each does to its opportunity, in one transaction:
a sent quote is the proposal the `proposal` stage asks for; an accepted one sets the opportunity's amount
(its amount source becomes that quote). Each publishes crm.quote.*, keyed by the customer."""
from __future__ import annotations

from crm_common import concurrency
from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict

from ..customers import customers
from ..opportunities import store as opportunities
from . import pricing, quotes


def send(rt, quote_id: str, *, by: str, scope: dict, expected) -> dict:
    def work(session, customer, deal, quote, now):
        pricing.may("send", quote, quotes.today(rt))
        after = _decided(rt, session, quote, pricing.SENT, sent_at=now, sent_by=by)
        # the customer answers the latest version sent: the one before it is replaced
        rt.db.quotes.update_many({"first_id": quote["first_id"], "status": pricing.SENT, "_id": {"$ne": quote["_id"]}},
                                 {"$set": {"status": pricing.SUPERSEDED}, "$inc": {"version": 1}}, session=session)
        _publish(rt, session, "crm.quote.sent", after, deal, {"by": by, "sent_at": now.isoformat()})
        return opportunities.edit(rt, session, customer, deal, {"quote_sent": True}, by=by)
    return _on_opportunity(rt, quote_id, work, scope=scope, expected=expected)


def accept(rt, quote_id: str, *, by: str, scope: dict, expected) -> dict:
    def work(session, customer, deal, quote, now):
        pricing.may("accept", quote, quotes.today(rt))
        after = _decided(rt, session, quote, pricing.ACCEPTED, decided_at=now, decided_by=by)
        _publish(rt, session, "crm.quote.accepted", after, deal, {"by": by, "accepted_at": now.isoformat()})
        source = {"kind": "quote", "quote_id": quote["_id"], "quote_version": quote["quote_version"]}
        return opportunities.edit(rt, session, customer, deal, {"amount": quote["total"], "amount_source": source},
                                  by=by)
    return _on_opportunity(rt, quote_id, work, scope=scope, expected=expected)


def reject(rt, quote_id: str, body: dict, *, by: str, scope: dict, expected) -> dict:
    def work(session, customer, deal, quote, now):
        pricing.may("reject", quote, quotes.today(rt))
        after = _decided(rt, session, quote, pricing.REJECTED, decided_at=now, decided_by=by,
                         reject_reason=body.get("reason"))
        _publish(rt, session, "crm.quote.rejected", after, deal,
                 {"by": by, "rejected_at": now.isoformat(), "reason": body.get("reason")})
        return deal, []
    return _on_opportunity(rt, quote_id, work, scope=scope, expected=expected)


def _on_opportunity(rt, quote_id: str, work, *, scope: dict, expected) -> dict:
    """Run `work(session, customer, deal, quote, now)` on the quote read again in the transaction of its
    opportunity's change; the quote as it is now."""
    deal_id = quotes.visible(rt, quote_id, scope)["opportunity_id"]

    def on_deal(session, customer, deal):
        quote = quotes.visible(rt, quote_id, scope, session)
        concurrency.check(quote, expected)
        if deal["status"] != "open":
            raise Conflict(f"the opportunity is {deal['status']}: its quotes are settled", reason="opportunity_closed")
        return work(session, customer, deal, quote, customers.now(rt))
    opportunities.change(rt, deal_id, on_deal, scope=scope)
    return quotes.visible(rt, quote_id, scope)


def _decided(rt, session, quote: dict, status: str, **fields) -> dict:
    after = {**quote, **fields, "status": status, "version": quote["version"] + 1, "updated_at": customers.now(rt)}
    quotes.replace(rt, session, quote, after)
    return after


def snapshot(quote: dict, deal: dict) -> dict:
    """What every crm.quote.* event carries: the version, its opportunity and customer, its lines and totals."""
    return {"quote_id": quote["_id"], "first_id": quote["first_id"], "quote_version": quote["quote_version"],
            "opportunity_id": quote["opportunity_id"], "customer_id": quote["customer_id"],
            "owner_id": deal.get("owner_id"), "department_path": deal.get("department_path", []),
            "status": quote["status"], "valid_until": quote["valid_until"],
            **{k: money.text(quote[k]) for k in ("subtotal", "discount_total", "total")},
            "lines": [{"product_id": line.get("product_id"), "description": line["description"],
                       "quantity": pricing.plain(line["quantity"]), "unit_price": money.text(line["unit_price"]),
                       "discount": pricing.plain(line["discount"]), "total": money.text(line["total"])}
                      for line in quote["lines"]]}


def _publish(rt, session, kind: str, quote: dict, deal: dict, data: dict) -> None:
    rt.publish(session, rt.event(kind, quote["_id"], {**snapshot(quote, deal), **data}, key=quote["customer_id"]))

"""Products (admins keep the price list; everyone logged in reads it) and quotes on an opportunity:
draft, edit, send, accept, reject, and the PDF. A quote is seen as its opportunity is."""
from __future__ import annotations

from flask import Response, g

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.paging import page
from crm_common.web import Blueprint, answers, runtime

from ..customers import scope
from ..customers.routes import with_etag
from . import decisions, pdf, products, quotes
from .schemas import (ProductIn, ProductOut, ProductPage, ProductPatch, ProductQuery, QuoteIn, QuoteOut, QuotePatch,
                      QuoteRejectIn)

blp = Blueprint("quotes", __name__, url_prefix="/v1", description="Products and quotes (报价单)")


@blp.route("/products", methods=["POST"])
@require_user("admin")
@idempotent
@blp.arguments(ProductIn)
@blp.response(201, ProductOut)
def create_product(body):
    """409 (`product_code_taken`) when another product has the code."""
    return with_etag(products.create(runtime(), body), 201)


@blp.route("/products", methods=["GET"])
@require_user()
@blp.arguments(ProductQuery, location="query")
@blp.response(200, ProductPage)
def list_products(args):
    query = {k: args[k] for k in ("active", "category") if k in args}
    return page(runtime().db.products, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/products/<product_id>", methods=["GET"])
@require_user()
@blp.response(200, ProductOut)
def get_product(product_id):
    return with_etag(products.get(runtime(), product_id))


@blp.route("/products/<product_id>", methods=["PATCH"])
@require_user("admin")
@concurrency.documented()
@blp.arguments(ProductPatch)
@blp.response(200, ProductOut)
def update_product(body, product_id):
    """Withdraw a product with `active: false`: quotes already made keep their lines."""
    return with_etag(products.change(runtime(), product_id, body, concurrency.expected_versions(required=True)))


@blp.route("/opportunities/<opportunity_id>/quotes", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(QuoteIn)
@blp.response(201, QuoteOut)
def create_quote(body, opportunity_id):
    """A draft, version 1. A line names a product (its name and list price are the defaults) or says
    what it is; totals are computed."""
    return with_etag(quotes.create(runtime(), opportunity_id, body, by=g.principal.user_id, scope=scope.mine()), 201)


@blp.route("/opportunities/<opportunity_id>/quotes", methods=["GET"])
@require_user()
@blp.response(200, QuoteOut(many=True))
def list_quotes(opportunity_id):
    """Every version of every quote of the opportunity, oldest first."""
    return quotes.of_opportunity(runtime(), opportunity_id, scope.mine())


@blp.route("/quotes/<quote_id>", methods=["GET"])
@require_user()
@blp.response(200, QuoteOut)
def get_quote(quote_id):
    """A sent quote past its valid_until shows `expired` (decided on read, no job)."""
    return with_etag(quotes.visible(runtime(), quote_id, scope.mine()))


@blp.route("/quotes/<quote_id>", methods=["PATCH"])
@require_user()
@concurrency.documented()
@blp.arguments(QuotePatch)
@blp.response(200, QuoteOut)
@blp.alt_response(201, schema=QuoteOut, description="The quote was sent: the edit is its next version, a new draft")
def update_quote(body, quote_id):
    """Edits a draft. A sent quote stays as it was sent: the edit becomes its next version, a new draft
    (201). An accepted, rejected, expired or superseded quote is settled: 409."""
    quote, is_new = quotes.edit(runtime(), quote_id, body, by=g.principal.user_id, scope=scope.mine(),
                                expected=concurrency.expected_versions(required=True))
    return with_etag(quote, 201 if is_new else 200)


def _decide(decide, quote_id, *args):
    return with_etag(decide(runtime(), quote_id, *args, by=g.principal.user_id, scope=scope.mine(),
                             expected=concurrency.expected_versions(required=False)))


@blp.route("/quotes/<quote_id>/send", methods=["POST"])
@require_user()
@idempotent
@blp.response(200, QuoteOut)
def send_quote(quote_id):
    """Freezes this version (a draft; 409 otherwise) and counts as the opportunity's proposal."""
    return _decide(decisions.send, quote_id)


@blp.route("/quotes/<quote_id>/accept", methods=["POST"])
@require_user()
@idempotent
@blp.response(200, QuoteOut)
def accept_quote(quote_id):
    """A sent quote only (409 otherwise): its total becomes the opportunity's amount."""
    return _decide(decisions.accept, quote_id)


@blp.route("/quotes/<quote_id>/reject", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(QuoteRejectIn)
@blp.response(200, QuoteOut)
def reject_quote(body, quote_id):
    """A sent quote only (409 otherwise)."""
    return _decide(decisions.reject, quote_id, body)


@blp.route("/quotes/<quote_id>.pdf", methods=["GET"])
@require_user()
@blp.doc(**answers(200, None, "application/pdf", description="The quote, in Chinese"))
def quote_pdf(quote_id):
    rt = runtime()
    quote = quotes.visible(rt, quote_id, scope.mine())
    deal = rt.db.opportunities.find_one({"_id": quote["opportunity_id"]})
    customer = rt.db.customers.find_one({"_id": quote["customer_id"]})
    return Response(pdf.render(quote, customer, deal), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="quote-{quote_id}.pdf"'})

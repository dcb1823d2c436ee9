"""The customer service's HTTP API: login and customers."""
from __future__ import annotations

from flask import g

from crm_common.auth import customer_scope, issue_token, require_user
from crm_common.errors import Problem
from crm_common.paging import page
from crm_common.web import Blueprint, runtime

from . import org
from .schemas import CustomerOut, CustomerPage, CustomerQuery, TokenIn, TokenOut

auth_blp = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Log in")
customers_blp = Blueprint("customers", __name__, url_prefix="/v1/customers", description="Customers in scope")


@auth_blp.route("/token", methods=["POST"])
@auth_blp.arguments(TokenIn)
@auth_blp.response(200, TokenOut)
def token(body):
    rt = runtime()
    principal = org.authenticate(rt, body["username"], body["password"])
    if principal is None:
        raise Problem(401, "unknown user or wrong password")
    ttl = rt.settings.jwt_ttl_seconds
    return {"access_token": issue_token(rt.settings.jwt_secret, principal, ttl), "token_type": "Bearer",
            "expires_in": ttl}


@customers_blp.route("", methods=["GET"])
@require_user()
@customers_blp.arguments(CustomerQuery, location="query")
@customers_blp.response(200, CustomerPage)
def list_customers(args):
    query = {k: args[k] for k in ("source_lead_id", "owner_id", "stage") if k in args}
    scoped = {"$and": [customer_scope(g.principal), query]}
    return page(runtime().db.customers, scoped, limit=args["limit"], cursor=args["cursor"])


@customers_blp.route("/<customer_id>", methods=["GET"])
@require_user()
@customers_blp.response(200, CustomerOut)
def get_customer(customer_id):
    customer = runtime().db.customers.find_one({"$and": [{"_id": customer_id}, customer_scope(g.principal)]})
    if customer is None:
        raise Problem(404, "no such customer")  # the same answer whether it exists or is out of scope
    return customer

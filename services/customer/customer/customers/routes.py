"""Customers and their contacts: list in scope, read with an ETag, create, edit with If-Match, delete."""
from __future__ import annotations

from flask import g

from crm_common import concurrency
from crm_common.kernel.refusals import NotFound
from crm_common.paging import page
from crm_common.idempotency import idempotent
from crm_common.auth import require_user
from crm_common.web import Blueprint, runtime

from ..opportunities import legacy
from . import contacts, customers, intake, ownership_rules, scope
from .schemas import ContactIn, CustomerIn, CustomerOut, CustomerPage, CustomerPatch, CustomerQuery, NewContactIn

blp = Blueprint("customers", __name__, url_prefix="/v1/customers", description="Customers and contacts, in scope")
FILTERS = ("source_lead_id", "owner_id", "stage", "level", "lifecycle", "pipeline_id")


def customer_filter(args: dict) -> dict:
    query = {k: args[k] for k in FILTERS if k in args}
    if "tag" in args:
        query["tags"] = args["tag"]
    return scope.scoped(query, args.get("view", "all"))


def with_etag(customer: dict, status: int = 200):
    return customer, status, concurrency.etag_headers(customer)


@blp.route("", methods=["GET"])
@require_user()
@blp.arguments(CustomerQuery, location="query")
@blp.response(200, CustomerPage)
def list_customers(args):
    return page(runtime().db.customers, customer_filter(args), limit=args["limit"], cursor=args["cursor"])


@blp.route("", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(CustomerIn)
@blp.response(201, CustomerOut)
def create_customer(body):
    contacts.check_count(body["contacts"])
    return with_etag(intake.create_manual(runtime(), body, principal=g.principal, scope=scope.mine()), 201)


@blp.route("/<customer_id>", methods=["GET"])
@require_user()
@blp.response(200, CustomerOut)
def get_customer(customer_id):
    return with_etag(scope.visible(customer_id))


@blp.route("/<customer_id>", methods=["PATCH"])
@require_user()
@blp.arguments(CustomerPatch)
@blp.response(200, CustomerOut)
def update_customer(body, customer_id):
    """Needs If-Match with the ETag last read: 428 without it, 412 if someone changed the customer since."""
    expected = concurrency.expected_versions(required=True)

    def mutate(session, customer):
        changed = sorted(k for k, v in body.items() if customer.get(k) != v)
        customer.update(body)
        # the deal facts old clients set here belong to the customer's primary opportunity
        deal_events = legacy.learnt(runtime(), session, customer, body, by=g.principal.user_id)
        return ([customers.updated(runtime(), g.principal.user_id, *changed)] if changed else []) + deal_events
    customer = customers.change(runtime(), customer_id, mutate, scope=scope.mine(), expected=expected)
    return with_etag(intake.flagged(runtime(), None, customer, scope.mine()) if "name" in body else customer)


@blp.route("/<customer_id>", methods=["DELETE"])
@require_user()
@blp.response(204)
def delete_customer(customer_id):
    customer = scope.visible(customer_id)
    ownership_rules.may_act_as_owner(g.principal, customer, "delete a customer")
    customers.delete(runtime(), customer_id, scope=scope.mine(), by=g.principal.user_id,
                     expected=concurrency.expected_versions(required=False))


@blp.route("/<customer_id>/contacts", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(NewContactIn)
@blp.response(201, CustomerOut)
def add_contact(body, customer_id):
    def mutate(session, customer):
        customer["contacts"].append(contacts.complete(body))
        contacts.check_count(customer["contacts"])
        contacts.one_primary(customer["contacts"], customer["contacts"][-1])
        return [customers.updated(runtime(), g.principal.user_id, "contacts")]
    return with_etag(customers.change(runtime(), customer_id, mutate, scope=scope.mine()), 201)


@blp.route("/<customer_id>/contacts/<contact_id>", methods=["PATCH"])
@require_user()
@blp.arguments(ContactIn)
@blp.response(200, CustomerOut)
def update_contact(body, customer_id, contact_id):
    expected = concurrency.expected_versions(required=True)

    def mutate(session, customer):
        person = _contact(customer, contact_id)
        person.update(body)
        contacts.one_primary(customer["contacts"], person)
        return [customers.updated(runtime(), g.principal.user_id, "contacts")]
    return with_etag(customers.change(runtime(), customer_id, mutate, scope=scope.mine(), expected=expected))


@blp.route("/<customer_id>/contacts/<contact_id>", methods=["DELETE"])
@require_user()
@blp.response(200, CustomerOut)
def delete_contact(customer_id, contact_id):
    expected = concurrency.expected_versions(required=True)

    def mutate(session, customer):
        customer["contacts"].remove(_contact(customer, contact_id))
        return [customers.updated(runtime(), g.principal.user_id, "contacts")]
    return with_etag(customers.change(runtime(), customer_id, mutate, scope=scope.mine(), expected=expected))


def _contact(customer: dict, contact_id: str) -> dict:
    found = next((c for c in customer["contacts"] if c.get("contact_id") == contact_id), None)
    if found is None:
        raise NotFound("no such contact")
    return found



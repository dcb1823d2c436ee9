"""The sales process on one customer: owner, collaborators, stage, qualification,
milestones, lifecycle marks, follow-ups, contracts and payments."""
from __future__ import annotations

from flask import g, request

from crm_common import concurrency
from crm_common.idempotency import idempotent
from crm_common.auth import require_user
from crm_common.web import Blueprint, runtime

from ..customers import customers, ownership, scope
from ..customers.routes import with_etag
from ..customers.schemas import CustomerOut
from ..opportunities import legacy
from ..pipelines import progress
from . import deals, followups, milestones
from .schemas import (CollaboratorsIn, ContractIn, ContractOut, FollowupIn, FollowupOut, FollowupPage, ListArgs,
                            MarkIn, MilestoneIn, OwnerIn, PaymentIn, PaymentOut, QualificationIn, StageHistoryOut,
                            StageIn, TransferIn)

blp = Blueprint("sales", __name__, url_prefix="/v1/customers", description="Work a customer through the pipeline")


def _if_match():
    return concurrency.expected_versions(required=False)


SUPERSEDED = {"sales.enter_stage", "sales.qualify"}  # they act on the customer's primary opportunity


@blp.after_request
def name_the_successor(response):
    """The customer's stage and qualification belong to its opportunities now: say so (RFC 9745), and name
    the opportunity the call acted on, or where to find the customer's."""
    if request.endpoint in SUPERSEDED:
        deal = getattr(g, "opportunity_id", None)
        target = f"/v1/opportunities/{deal}" if deal else \
            f"/v1/opportunities?customer_id={request.view_args.get('customer_id', '')}"
        response.headers["Deprecation"] = "true"
        response.headers["Link"] = f'<{target}>; rel="successor-version"'
    return response


@blp.route("/<customer_id>/owner", methods=["POST"])
@require_user("admin", "manager")
@idempotent
@blp.arguments(OwnerIn)
@blp.response(200, CustomerOut)
def reassign(body, customer_id):
    return with_etag(ownership.reassign(runtime(), customer_id, body, principal=g.principal, scope=scope.mine(),
                                        expected=_if_match()))


@blp.route("/<customer_id>/transfer", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(TransferIn)
@blp.response(200, CustomerOut)
def transfer(body, customer_id):
    return with_etag(ownership.transfer(runtime(), customer_id, body, principal=g.principal, scope=scope.mine(),
                                        expected=_if_match()))


@blp.route("/<customer_id>/collaborators", methods=["PUT"])
@require_user()
@blp.arguments(CollaboratorsIn)
@blp.response(200, CustomerOut)
def set_collaborators(body, customer_id):
    return with_etag(ownership.set_collaborators(runtime(), customer_id, body["user_ids"], principal=g.principal,
                                                 scope=scope.mine(), expected=_if_match()))


@blp.route("/<customer_id>/stage", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(StageIn)
@blp.response(200, CustomerOut)
def enter_stage(body, customer_id):
    """Moves the customer's primary opportunity (the most recently active open one, or a new one when none
    is open); 409 with `missing_conditions` when the stage's entry conditions do not hold. Deprecated:
    POST /v1/opportunities/<id>/stage."""
    customer, g.opportunity_id = legacy.enter_stage(runtime(), customer_id, body, by=g.principal.user_id,
                                                    scope=scope.mine(), expected=_if_match())
    return with_etag(customer)


@blp.route("/<customer_id>/stage-history", methods=["GET"])
@require_user()
@blp.response(200, StageHistoryOut(many=True))
def stage_history(customer_id):
    scope.visible(customer_id)
    return progress.history(runtime(), customer_id)


@blp.route("/<customer_id>/qualification", methods=["PUT"])
@require_user()
@blp.arguments(QualificationIn)
@blp.response(200, CustomerOut)
def qualify(body, customer_id):
    """定性 on the customer; 定级 and 定量 on its primary opportunity. Deprecated: PATCH /v1/opportunities/<id>."""
    customer, g.opportunity_id = legacy.qualify(runtime(), customer_id, body, by=g.principal.user_id,
                                                scope=scope.mine(), expected=_if_match())
    return with_etag(customer)


@blp.route("/<customer_id>/milestones", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(MilestoneIn)
@blp.response(200, CustomerOut)
def add_milestone(body, customer_id):
    def mutate(session, customer):
        milestones.set_milestone(customer, body["milestone"], target_month=body.get("target_month"))
        return [customers.updated(runtime(), g.principal.user_id, "milestones")]
    return with_etag(customers.change(runtime(), customer_id, mutate, scope=scope.mine(), expected=_if_match()))


@blp.route("/<customer_id>/milestones/<name>", methods=["DELETE"])
@require_user()
@blp.response(200, CustomerOut)
def clear_milestone(customer_id, name):
    def mutate(session, customer):
        milestones.clear_milestone(customer, name)
        return [customers.updated(runtime(), g.principal.user_id, "milestones")]
    return with_etag(customers.change(runtime(), customer_id, mutate, scope=scope.mine(), expected=_if_match()))


@blp.route("/<customer_id>/marks", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(MarkIn)
@blp.response(200, CustomerOut)
def mark(body, customer_id):
    """no_demand (-> nurturing) or invalid (-> invalid); the lifecycle event says why."""
    def mutate(session, customer):
        class_before = customer.get("lifecycle")
        milestones.mark(customer, body["mark"], body.get("reason"))
        # a new class publishes crm.customer.lifecycle_changed; a new reason alone is an update
        return [] if customer.get("lifecycle") != class_before else [
            customers.updated(runtime(), g.principal.user_id, "lifecycle_note")]
    return with_etag(customers.change(runtime(), customer_id, mutate, scope=scope.mine(), expected=_if_match()))


@blp.route("/<customer_id>/followups", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(FollowupIn)
@blp.response(201, FollowupOut)
def add_followup(body, customer_id):
    followup, customer = followups.record(runtime(), customer_id, body, by=g.principal.user_id, scope=scope.mine())
    return followup, 201, concurrency.etag_headers(customer)


@blp.route("/<customer_id>/followups", methods=["GET"])
@require_user()
@blp.arguments(ListArgs, location="query")
@blp.response(200, FollowupPage)
def list_followups(args, customer_id):
    scope.visible(customer_id)
    return followups.listing(runtime(), customer_id, limit=args["limit"], cursor=args["cursor"])


@blp.route("/<customer_id>/contracts", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(ContractIn)
@blp.response(201, ContractOut)
def sign_contract(body, customer_id):
    contract, customer = deals.sign_contract(runtime(), customer_id, body, principal=g.principal, scope=scope.mine())
    return contract, 201, concurrency.etag_headers(customer)


@blp.route("/<customer_id>/contracts", methods=["GET"])
@require_user()
@blp.response(200, ContractOut(many=True))
def list_contracts(customer_id):
    scope.visible(customer_id)
    return deals.listing(runtime(), "contracts", customer_id)


@blp.route("/<customer_id>/payments", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(PaymentIn)
@blp.response(201, PaymentOut)
def receive_payment(body, customer_id):
    payment, customer = deals.receive_payment(runtime(), customer_id, body, by=g.principal.user_id,
                                              scope=scope.mine())
    return payment, 201, concurrency.etag_headers(customer)


@blp.route("/<customer_id>/payments", methods=["GET"])
@require_user()
@blp.response(200, PaymentOut(many=True))
def list_payments(customer_id):
    scope.visible(customer_id)
    return deals.listing(runtime(), "payments", customer_id)


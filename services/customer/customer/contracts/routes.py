"""Contracts of a deal and their approval, the caller's pending approvals, invoices, and the thresholds."""
from __future__ import annotations

from flask import g

from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.idempotency import idempotent
from crm_common.kernel.refusals import NotFound
from crm_common.paging import page
from crm_common.queries import both, find_one
from crm_common.web import Blueprint, runtime

from ..customers import scope
from . import contracts, invoices, thresholds
from .schemas import (ApprovalsArgs, ApproveIn, ContractIn, ContractOut, ContractPage, InvoiceIn, InvoiceOut,
                      RejectIn, Thresholds, ThresholdsOut, VoidIn)

blp = Blueprint("contracts", __name__, url_prefix="/v1",
                description="Contracts (合同) and their approval (合同审批); invoices (发票)")


def _contract(contract_id: str) -> dict:
    rt = runtime()
    contract = rt.db.contracts.find_one({"_id": contract_id})
    if contract is None or find_one(rt.db.customers, both({"_id": contract["customer_id"]}, scope.mine())) is None:
        raise NotFound("no such contract")  # the same answer whether it exists or is out of scope
    return contract


@blp.route("/opportunities/<opportunity_id>/contracts", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(ContractIn)
@blp.response(201, ContractOut)
def make_contract(body, opportunity_id):
    """Submitted at once unless `draft`: approved at once at or below the approval threshold, else pending
    approval. It counts toward the totals, and satisfies its deal's contract condition, once approved."""
    rt = runtime()
    deal = find_one(rt.db.opportunities, both({"_id": opportunity_id}, scope.mine()))
    if deal is None:
        raise NotFound("no such opportunity")
    contract, _ = contracts.make(rt, deal["customer_id"], body, principal=g.principal, scope=scope.mine(),
                                 opportunity_id=opportunity_id)
    return contract, 201


@blp.route("/contracts/<contract_id>", methods=["GET"])
@require_user()
@blp.response(200, ContractOut)
def get_contract(contract_id):
    return _contract(contract_id)


@blp.route("/contracts/<contract_id>/submit", methods=["POST"])
@require_user()
@idempotent
@blp.response(200, ContractOut)
def submit_contract(contract_id):
    """A draft goes for approval (approved at once at or below the threshold); 409 if it is not a draft."""
    return contracts.submit(runtime(), contract_id, principal=g.principal, scope=scope.mine())


@blp.route("/contracts/<contract_id>/approve", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(ApproveIn)
@blp.response(200, ContractOut)
def approve_contract(body, contract_id):
    """The step it waits for: the owner's department manager, then (above the second threshold) an admin.
    403 for anyone else; 409 if it is not pending approval."""
    return contracts.decide(runtime(), contract_id, "approve", body["comment"], principal=g.principal,
                            scope=scope.mine())


@blp.route("/contracts/<contract_id>/reject", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(RejectIn)
@blp.response(200, ContractOut)
def reject_contract(body, contract_id):
    """By the approver of the step it waits for, with a comment saying why (400 without one)."""
    return contracts.decide(runtime(), contract_id, "reject", body["comment"], principal=g.principal,
                            scope=scope.mine())


@blp.route("/approvals", methods=["GET"])
@require_user()
@blp.arguments(ApprovalsArgs, location="query")
@blp.response(200, ContractPage)
def my_approvals(args):
    """The contracts waiting for the caller's decision, oldest first."""
    mine = [{"awaiting.approver_ids": g.principal.user_id}] + (
        [{"awaiting.role": "admin"}] if g.principal.is_admin else [])
    return page(runtime().db.contracts, {"status": "pending_approval", "$or": mine}, limit=args["limit"],
                cursor=args["cursor"])


@blp.route("/contracts/<contract_id>/invoices", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(InvoiceIn)
@blp.response(201, InvoiceOut)
def issue_invoice(body, contract_id):
    """409 when the number is taken, the contract is not approved, the total invoiced would pass its amount,
    or the customer's invoice info has no title or tax id."""
    return invoices.issue(runtime(), contract_id, body, by=g.principal.user_id, scope=scope.mine()), 201


@blp.route("/contracts/<contract_id>/invoices", methods=["GET"])
@require_user()
@blp.response(200, InvoiceOut(many=True))
def list_invoices(contract_id):
    """Its invoices and red-letter invoices, in the order issued."""
    _contract(contract_id)
    return list(runtime().db.invoices.find({"contract_id": contract_id}).sort("_id", 1).limit(500))


@blp.route("/invoices/<invoice_id>/void", methods=["POST"])
@require_user()
@idempotent
@blp.arguments(VoidIn)
@blp.response(200, InvoiceOut)
def void_invoice(body, invoice_id):
    """Issues a red-letter invoice (红冲) reversing this one, which is answered voided (`voided_by` names
    the red one); 409 if it is voided already or a payment settles it."""
    return invoices.void(runtime(), invoice_id, body, by=g.principal.user_id, scope=scope.mine())


@blp.route("/settings/contract-approval", methods=["GET"])
@require_user("admin")
@blp.response(200, ThresholdsOut)
def get_thresholds():
    found = thresholds.current(runtime())
    return found, 200, {"ETag": concurrency.etag(found["version"])}


@blp.route("/settings/contract-approval", methods=["PUT"])
@require_user("admin")
@concurrency.documented(when="The defaults count as a version (ETag \"0\"). ")
@blp.arguments(Thresholds)
@blp.response(200, ThresholdsOut)
def put_thresholds(body):
    """Applies to contracts submitted from now on."""
    saved = thresholds.put(runtime(), body, concurrency.expected_versions())
    return saved, 200, {"ETag": concurrency.etag(saved["version"])}

"""A rule's request (crm.automation.requested), as the service owning the data takes it up.

Every applying service reads all of crm.automation and keeps the requests of its own action types,
applies each only if what the rule saw still holds, and answers once on crm.automation.applied, so the
run log shows each step's result. The version guard keeps a redelivered request from applying twice:
its subject is the request id, one version per request."""
from __future__ import annotations

from typing import Callable

# which service applies which action
APPLIED_BY = {
    "create_task": "customer", "assign_owner": "customer", "set_fields": "customer",
    "return_to_pool": "pool",
    "notify": "notify", "webhook": "notify", "enroll": "notify",
}


def for_service(service: str, apply: Callable) -> Callable:
    """A crm.automation.requested handler that hands `apply(session, request)` only this service's
    requests. `apply` returns ("applied", result), or ("refused" | "failed", reason); the answer is
    published in the same transaction as what it did."""
    def handle(rt, event: dict, session) -> None:
        request = event["data"]
        if APPLIED_BY.get(request["action"]["type"]) != service:
            return
        status, detail = apply(session, request)
        answer(rt, session, request, status, **({"result": detail} if status == "applied" else {"reason": detail}))
    return handle


def answer(rt, session, request: dict, status: str, *, reason: str | None = None, result: dict | None = None) -> None:
    record = request.get("record") or {}
    # The answer is a stream of its own: under the request's subject the asking service's version
    # guard would take this service's first answer for a repeat of the request it already saw.
    rt.publish(session, rt.event("crm.automation.applied", f"{request['request_id']}:answer", {
        "request_id": request["request_id"], "run_id": request["run_id"], "rule_id": request["rule_id"],
        "step": request["step"], "service": rt.settings.service, "status": status, "reason": reason,
        "result": result or {}, "answered_at": rt.clock.now().isoformat()},
        key=record.get("customer_id") or record.get("id") or request["request_id"]))

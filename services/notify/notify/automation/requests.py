"""Applying a rule's `notify`, `webhook` and `enroll` requests (crm.automation.requested), once per
request id.

`notify` becomes a notice like any reminder (inbox item keyed `rule:<request id>`, and the user's other
channels, quiet hours included) to the person the rule names: a user, or the record's owner, the owner's
supervisor or the managers of the owner's department, as notify's copy of the org knows them now.
`webhook` is a Standard Webhook to the rule's URL, signed with the rule's secret, sent by the deliveries
job like every other. `enroll` puts the record's contacts in a sequence (sequences/by_rule.py). What each
causes carries the run's causation, so the rule never fires on it."""
from __future__ import annotations

import json

from crm_common.actions import for_service
from crm_common.events import caused_by

from .. import state
from ..channels import addresses, reach
from ..reminders import due
from ..sequences import by_rule as enrolled
from ..subscriptions import queue


def handler(rt):
    return for_service("notify", lambda session, request: apply(rt, session, request))


def apply(rt, session, request: dict) -> tuple[str, object]:
    action = request["action"]
    if action["type"] == "webhook":
        return webhook(rt, session, request, action)
    if action["type"] == "notify":
        return notify(rt, session, request, action)
    if action["type"] == "enroll":
        return enrolled.apply(rt, session, request, action)
    return "refused", "not_supported"


def notify(rt, session, request: dict, action: dict) -> tuple[str, object]:
    record = request.get("record") or {}
    user_id = recipient(rt, session, action.get("to") or {}, record)
    if user_id is None:
        return "refused", "no_recipient"
    key = f"rule:{request['request_id']}"
    due.raise_now(rt, session, {
        "_id": key, "kind": "rule_notice", "to": "user", "user_id": user_id,
        "customer_id": record.get("customer_id"), "lead_id": record["id"] if record.get("kind") == "lead" else None,
        "data": {"message": action["message"], "name": record.get("id") or "", "rule_id": request["rule_id"]},
        "caused_by": caused_by(request)})  # a second delivery of the request finds the key and adds nothing
    item = rt.db.inbox.find_one({"key": key, "user_id": user_id}, {"_id": 1}, session=session)
    return "applied", {"user_id": user_id, "item_id": item["_id"] if item else None}


def recipient(rt, session, to: dict, record: dict) -> str | None:
    """The one person `to` names for `record`, or None (nobody, or no longer active)."""
    if to.get("user_id"):
        return _active(rt, session, to["user_id"])
    customer = state.customer(rt, session, record["customer_id"]) if record.get("customer_id") else None
    owner = customer.get("owner_id") if customer else record.get("owner_id")  # the owner now, if known
    if not owner or to.get("role") == "owner":
        return _active(rt, session, owner) if owner else None
    user = rt.db.users.find_one({"_id": owner}, session=session)
    if user is None:
        return None
    if to.get("role") == "supervisor":
        return _active(rt, session, user["supervisor_id"]) if user.get("supervisor_id") else None
    managers = [m for m in state.managers_of(rt, [user], session).get(owner, []) if m != owner]
    return sorted(managers)[0] if managers else None


def _active(rt, session, user_id: str) -> str | None:
    user = rt.db.users.find_one({"_id": user_id}, {"active": 1}, session=session)
    return None if user is not None and user.get("active") is False else user_id  # unknown yet: still told


def webhook(rt, session, request: dict, action: dict) -> tuple[str, object]:
    try:
        reach.check_url(rt, action["url"])
    except addresses.Unreachable:
        return "refused", "url_not_allowed"
    body = json.dumps({"type": "crm.automation.webhook", "timestamp": request["requested_at"], "data": {
        k: request.get(k) for k in ("request_id", "run_id", "rule_id", "rule_version", "step", "record")}},
        ensure_ascii=False)  # the action itself stays out: it holds the secret
    delivery_id = queue.enqueue_rule_webhook(rt, session, request["request_id"], action["url"], action["secret"],
                                             body)
    return "applied", {"delivery_id": delivery_id}

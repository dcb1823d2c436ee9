"""Structured follow-up records (跟进记录, DOMAIN §2).

Channel, content, whether the contact's goal was met, and the next plan and
next contact time - both required unless the deal is closed. Saving one
updates the customer's last follow-up and next contact times.
"""
from __future__ import annotations

from crm_common.kernel.refusals import Invalid
from crm_common.paging import new_id, page

from ..customers import customers
from ..pipelines import pipelines, stages

CHANNELS = ("phone", "wechat", "visit", "email", "sms", "event")


def missing_plan(body: dict, *, deal_closed: bool, now) -> list[dict]:
    """Field errors of the next plan (pure): required while the deal is open, and in the future."""
    if deal_closed:
        return []
    errors = []
    if not (body.get("next_plan") or "").strip():
        errors.append({"field": "next_plan", "message": "required while the deal is open"})
    when = body.get("next_contact_at")
    if when is None:
        errors.append({"field": "next_contact_at", "message": "required while the deal is open"})
    elif when <= now:
        errors.append({"field": "next_contact_at", "message": "must be in the future"})
    return errors


def record(rt, customer_id: str, body: dict, *, by: str, scope: dict) -> tuple[dict, dict]:
    """Store the follow-up; returns (follow-up, customer)."""
    saved = {}

    def mutate(session, customer):
        now = customers.now(rt)
        closed = stages.is_closed(pipelines.get(rt, customer["pipeline_id"], session), customer["stage"])
        errors = missing_plan(body, deal_closed=closed, now=now)
        if errors:
            raise Invalid("a follow-up needs its next plan and next contact time", errors=errors)
        followup = {**body, "_id": new_id(), "customer_id": customer["_id"], "by": by, "at": now,
                    "owner_id": customer.get("owner_id"), "department_path": customer.get("department_path", []),
                    "stage": customer["stage"]}
        rt.db.followups.insert_one(followup, session=session)
        saved.update(followup)
        customer.update(last_followup_at=now, next_contact_at=body.get("next_contact_at"),
                        last_followup_summary=body["content"][:200], followup_count=customer.get("followup_count", 0) + 1)
        return [("crm.customer.followed_up", {
            "followup_id": followup["_id"], "channel": body["channel"], "summary": body["content"][:200],
            "content": body["content"], "goal": body.get("goal"), "goal_met": body["goal_met"], "next_plan": body.get("next_plan"),
            "next_contact_at": body["next_contact_at"].isoformat() if body.get("next_contact_at") else None,
            "by": by, "followed_up_at": now.isoformat()})]
    customer = customers.change(rt, customer_id, mutate, scope=scope, made=saved)
    return saved, customer


def listing(rt, customer_id: str, *, limit: int, cursor: str | None) -> dict:
    return page(rt.db.followups, {"customer_id": customer_id}, limit=limit, cursor=cursor)

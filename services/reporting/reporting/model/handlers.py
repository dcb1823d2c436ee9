"""Events into the read models. Each handler loads a record, applies the pure rule, saves it with its tallies.

Every handler takes the report days' time zone (`tz`): a record's tallies are filed by local day.
"""
from __future__ import annotations

import copy

from crm_common import events

from . import contributions as contrib
from . import customer as customer_model
from . import lead as lead_model
from . import movement, notification, store
from . import opportunity as opportunity_model
from . import task as task_model
from .days import DEFAULT_TIMEZONE


def customer_event(models, session, event: dict, tz) -> None:
    _change_customer(models, session, event["data"]["customer_id"], lambda doc: customer_model.apply(doc, event), tz)


def _change_customer(models, session, customer_id: str, change, tz) -> dict:
    before = models.get("customers", customer_id, session)
    doc = change(_copy(before) or customer_model.new(customer_id))
    if doc.get("source_lead_id") and not doc["lead"]:
        doc["lead"] = lead_model.for_customer(models.get("others", "lead:" + doc["source_lead_id"], session))
    store.save(models, "customers", before, doc, finish_customer(doc, tz), session)
    _refresh_deals(models, session, before, doc, tz)
    return doc


def opportunity_event(models, session, event: dict, tz) -> None:
    """crm.opportunity.*: the deal's record, filed under its owner; its customer now counts through its
    deals (a customer without opportunity events stands for one deal of its own)."""
    data = event["data"]
    customer = models.get("customers", data["customer_id"], session)
    migrated = event["type"] == "crm.opportunity.created" and data.get("by") == "migration"
    if customer is None or data["opportunity_id"] not in customer.get("deal_ids", []) or (
            migrated and not customer.get("migrated")):
        customer = _change_customer(models, session, data["customer_id"], lambda c: {
            **c, "deal_ids": sorted({*c.get("deal_ids", []), data["opportunity_id"]}),
            "migrated": c.get("migrated") or migrated}, tz)
    before = models.get("others", opportunity_model.record_id(data), session)
    doc = opportunity_model.apply(_copy(before) or opportunity_model.new(data), event)
    _save_deal(models, session, before, opportunity_model.with_customer(doc, customer), tz)


def _save_deal(models, session, before, doc, tz) -> None:
    store.save(models, "others", before, doc, contrib.of_opportunity(doc, tz), session)


# What a customer's deals take from its record (opportunity.with_customer): its source lead and industry,
# and, once the migration gave it its first deal, its history before.
DEAL_FACTS = ("lead", "industry")
HISTORY = ("migrated", "moves", "created_at", "first_stage", "won_at", "lost_at", "quals")


def _refresh_deals(models, session, before, customer: dict, tz) -> None:
    """A customer's source lead, industry or (for a migrated one) history changed: its deals take it over."""
    facts = DEAL_FACTS + (HISTORY if customer.get("migrated") else ())
    if not customer.get("deal_ids") or (before and all(before.get(k) == customer.get(k) for k in facts)):
        return
    for deal_id in customer["deal_ids"]:
        deal = models.get("others", "opp:" + deal_id, session)
        if deal is not None:
            _save_deal(models, session, deal, opportunity_model.with_customer(_copy(deal), customer), tz)


def finish_customer(doc: dict, tz=DEFAULT_TIMEZONE) -> dict:
    """A changed customer's record completed as it is stored (derived fields, the paid flag); returns
    its contributions. Pure: the benchmark seeds its records through it."""
    customer_model.derive(doc)
    doc.pop("paid", None)
    if doc["payments"] and not doc["deleted"]:
        doc["paid"] = True  # a sparse index of the customers who paid: RFM reads only those
    return contrib.of_customer(doc, tz)


def lead_event(models, session, event: dict, tz) -> None:
    data, kind = event["data"], event["type"].rsplit(".", 1)[1]
    if kind == "resubmitted":  # an exact duplicate: a fact of its own, under the channel it came through
        _save_other(models, session, lead_model.resubmission(event), data.get("owner_id"), contrib.of_lead, tz)
        return
    before = models.get("others", lead_model.record_id(data), session)
    if kind not in lead_model.COUNTED:
        return
    doc = _copy(before) or lead_model.new(data)
    owner = lead_model.apply(doc, kind, data)
    _save_other(models, session, doc, owner, contrib.of_lead, tz, before)
    if kind == "received":
        _refresh_customers_of_lead(models, session, doc, tz)


def pool_event(models, session, event: dict, tz) -> None:
    data = event["data"]
    if event["type"].endswith(".pool_changed"):  # the pool's name, for the pool report
        models.replace("pools", {"_id": data["pool_id"], "name": data["name"]}, session)
        return
    moved = movement.of_event(event)
    if moved:
        doc, rep = moved
        _save_other(models, session, doc, rep, contrib.of_move, tz)


# Reminders that ask the owner to contact the customer: sent, they say a contact was due.
CONTACT_REMINDERS = ("cadence", "next_contact", "stage_followup", "overdue")


def notification_event(models, session, event: dict, tz) -> None:
    """crm.notification.sent / failed (inbox items included): the reminder's record for its recipient,
    one per reminder and user whatever the channels, and, for a reminder to contact a customer that
    reached someone, a contact now due on that customer (until a follow-up answers it)."""
    data, status = event["data"], event["type"].rsplit(".", 1)[1]
    at, version = data.get("sent_at") or data["failed_at"], int(event.get("version") or 0)
    record = notification.record_id(data)
    before = models.get("others", record, session)
    doc = notification.apply(_copy(before) or notification.new(record), data, status, at, version)
    _save_other(models, session, doc, data["user_id"], contrib.of_delivery, tz, before)
    if status == "sent" and data.get("customer_id") and data["kind"] in CONTACT_REMINDERS:
        _change_customer(models, session, data["customer_id"],
                         lambda doc: customer_model.remind(doc, data["delivery_id"], at), tz)


def task_event(models, session, event: dict, tz) -> None:
    """crm.task.*: the task's newest snapshot, filed under its assignee (a reassigned task moves its counts)."""
    data = event["data"]
    before = models.get("others", task_model.record_id(data), session)
    doc = task_model.apply(_copy(before) or task_model.new(data), data)
    _save_other(models, session, doc, doc["assignee_id"], contrib.of_task, tz, before)


def user_event(models, session, event: dict, tz) -> None:
    data = event["data"]
    before = models.get("users", data["user_id"], session)
    models.replace("users", {
        "_id": data["user_id"], "username": data["username"], "role": data.get("role"),
        "department_path": data.get("department_path", []), "active": data.get("active", True)}, session)
    if before and before.get("department_path") == data.get("department_path", []):
        return
    for other in models.find_by("others", "owner_id", data["user_id"], session):
        if other["_id"].startswith("opp:"):
            continue  # a deal is filed under its customer's department, not its owner's
        _save_other(models, session, _copy(other), data["user_id"], OTHER_RULES[other["_id"].split(":")[0]], tz,
                    other)


def department_event(models, session, event: dict, tz) -> None:
    data = event["data"]
    models.replace("departments", {
        "_id": data["department_id"], "name": data["name"], "path": data.get("path", []),
        "active": data.get("active", True)}, session)


def pipeline_event(models, session, event: dict, tz) -> None:
    """A pipeline's stages with their expectations, which the funnel and forecast compare against, the
    stages that close a deal, and the win probability an admin may set per stage (the forecast's)."""
    data = event["data"]
    models.replace("pipelines", {
        "_id": data["pipeline_id"], "name": data["name"],
        "stages": [{k: stage.get(k) for k in ("key", "expected_days", "expected_rate", "closes", "win_probability")}
                   for stage in data["stages"]]}, session)


OTHER_RULES = {"lead": contrib.of_lead, "resub": contrib.of_lead, "move": contrib.of_move,
               "notice": contrib.of_delivery, "delivery": contrib.of_delivery, "task": contrib.of_task}  # delivery: per delivery, before notice


def _save_other(models, session, doc, owner_id, rule, tz, before=None) -> None:
    """Leads, resubmissions and pool moves are filed under their rep and the rep's department now."""
    user = models.get("users", owner_id, session) if owner_id else None
    doc.update(owner_id=owner_id, department_path=(user or {}).get("department_path", []))
    if before is None:
        before = models.get("others", doc["_id"], session)
    store.save(models, "others", before, doc, rule(doc, tz), session)


def _refresh_customers_of_lead(models, session, lead: dict, tz) -> None:
    for before in models.find_by("customers", "source_lead_id", lead["lead_id"], session):
        doc = _copy(before)
        doc["lead"] = lead_model.for_customer(lead)
        store.save(models, "customers", before, doc, contrib.of_customer(doc, tz), session)
        _refresh_deals(models, session, before, doc, tz)


def _copy(doc):
    return copy.deepcopy(doc) if doc is not None else None


TABLE = {"crm.customer.": customer_event, "crm.lead.": lead_event, "crm.pool.": pool_event,
         "crm.user.": user_event, "crm.department.": department_event, "crm.notification.": notification_event,
         "crm.pipeline.": pipeline_event, "crm.task.": task_event, "crm.opportunity.": opportunity_event}


def for_models(models_of, tz=DEFAULT_TIMEZONE) -> dict:
    """Every contract type reporting reads -> handler(event, session) writing into `models_of(session)`,
    filing days in `tz`."""
    def handler_of(handle):
        return lambda event, session: handle(models_of(session), session, event, tz)
    return {event_type: handler_of(handle) for event_type, _ in events.contract_types()
            for prefix, handle in TABLE.items() if event_type.startswith(prefix)}

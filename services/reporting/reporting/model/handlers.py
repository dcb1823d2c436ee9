"""Events into the read models. Each handler loads a record, applies the pure rule, saves it with its tallies."""
from __future__ import annotations

import copy

from crm_common import events

from . import contributions as contrib
from . import customer as customer_model
from . import notification, store
from .days import CLOSED, parse

LEAD_FIELDS = ("channel", "campaign", "received_at")


def customer_event(models, session, event: dict) -> None:
    _change_customer(models, session, event["data"]["customer_id"], lambda doc: customer_model.apply(doc, event))


def _change_customer(models, session, customer_id: str, change) -> None:
    before = models.customers.find_one({"_id": customer_id}, session=session)
    doc = change(_copy(before) or customer_model.new(customer_id))
    if doc.get("source_lead_id") and not doc["lead"]:
        doc["lead"] = lead_fields(models.others.find_one({"_id": "lead:" + doc["source_lead_id"]}, session=session))
    store.save(models, "customers", before, doc, finish_customer(doc), session)


def lead_fields(lead: dict | None) -> dict:
    """What a customer's record keeps of its source lead."""
    return {k: lead.get(k) for k in LEAD_FIELDS if lead.get(k)} if lead else {}


def finish_customer(doc: dict) -> dict:
    """A changed customer's record completed as it is stored (derived fields, the paid flag); returns
    its contributions. Pure: the benchmark seeds its records through it."""
    _derive(doc)
    doc.pop("paid", None)
    if doc["payments"] and not doc["deleted"]:
        doc["paid"] = True  # a sparse index of the customers who paid: RFM reads only those
    return contrib.of_customer(doc)


def _derive(doc: dict) -> None:
    """Fields the workbench reads directly, kept on the record."""
    last, stays = customer_model.last_followup(doc), customer_model.stays(doc)
    qual = customer_model.qualification(doc)
    doc["reminders"] = customer_model.outstanding_reminders(doc)
    doc.update(last_followup_at=parse(last and last["at"]), next_contact_at=parse(customer_model.due_at(doc)),
               stage_since=parse(stays[-1]["entered"] if stays else doc.get("created_at")),
               qualitative=qual.get("qualitative"), grade=qual.get("grade"),
               pinned=bool((doc.get("milestones") or {}).get("pinned")),
               high_intent=(qual.get("qualitative") == "valuable" or qual.get("grade") == "large")
               and doc.get("stage") not in CLOSED)
    if doc["deleted"]:
        doc.update(next_contact_at=None, pinned=False, high_intent=False)


def lead_event(models, session, event: dict) -> None:
    data, kind = event["data"], event["type"].rsplit(".", 1)[1]
    if kind == "resubmitted":  # an exact duplicate: a fact of its own, under the channel it came through
        doc = {"_id": "resub:" + event["id"], "channel": data.get("channel") or data.get("channel_id"),
               "campaign": data.get("campaign"), "resubmitted_at": data["received_at"]}
        _save_other(models, session, doc, data.get("owner_id"), contrib.of_lead)
        return
    lead_id = data.get("lead_id") or data.get("merged_id")
    before = models.others.find_one({"_id": "lead:" + lead_id}, session=session)
    doc = _copy(before) or {"_id": "lead:" + lead_id, "lead_id": lead_id, "channel": None, "campaign": None}
    owner = None
    if kind == "received":
        doc.update(channel=data.get("channel") or data["channel_id"], campaign=data.get("campaign"),
                   received_at=data["received_at"], industry=data.get("industry"))
    elif kind == "duplicate_detected":
        doc["possible_at"] = data["detected_at"]
    elif kind in ("assigned", "converted"):
        at = data.get("assigned_at") or data.get("converted_at")
        if not doc.get("owner_at") or parse(at) >= parse(doc["owner_at"]):
            owner, doc["owner_at"] = data["owner_id"], at
        if kind == "converted":
            doc["converted_at"] = data["converted_at"]
    else:
        return
    _save_other(models, session, doc, owner or doc.get("owner_id"), contrib.of_lead, before)
    if kind == "received":
        _refresh_customers_of_lead(models, session, doc)


# Pool events that are movements (DOMAIN §3). ownership_requested is only the pool's request (the
# move happens, or is refused, afterwards) and reclaim_warning a warning: neither moves a customer.
POOL_MOVES = ("customer_reclaimed", "customer_claimed", "customer_returned", "customer_assigned",
              "customer_transferred")


def pool_event(models, session, event: dict) -> None:
    data, name = event["data"], event["type"].rsplit(".", 1)[1]
    if name == "pool_changed":  # the pool's name, for the pool report
        models.pools.replace_one({"_id": data["pool_id"]}, {"_id": data["pool_id"], "name": data["name"]},
                                 upsert=True, session=session)
        return
    if name not in POOL_MOVES:
        return
    kind = name.removeprefix("customer_")
    if kind == "claimed" and data.get("kind") == "assign":  # the older form of an assignment
        kind = "assigned"
    # The rep a move concerns: who took the customer (claim, assignment: `by` is the manager who
    # assigned), or who lost it (reclaim, return). A transfer between pools concerns no rep.
    rep = {"claimed": data.get("owner_id"), "assigned": data.get("owner_id"),
           "reclaimed": data.get("previous_owner_id"), "returned": data.get("previous_owner_id")}.get(kind)
    at = next((v for k, v in data.items() if k.endswith("_at")), event["time"])
    # One record per movement: a movement announced twice (as claimed kind=assign and as assigned) counts once.
    doc = {"_id": "move:" + (data.get("movement_id") or event["id"]), "kind": kind, "pool_id": data.get("pool_id"),
           "customer_id": data.get("customer_id"), "at": at, "channel": None, "campaign": None}
    _save_other(models, session, doc, rep, contrib.of_move)


# Reminders that ask the owner to contact the customer: sent, they say a contact was due.
CONTACT_REMINDERS = ("cadence", "next_contact", "stage_followup", "overdue")


def notification_event(models, session, event: dict) -> None:
    """crm.notification.sent / failed (inbox items included): the reminder's record for its recipient,
    one per reminder and user whatever the channels, and, for a reminder to contact a customer that
    reached someone, a contact now due on that customer (until a follow-up answers it)."""
    data, status = event["data"], event["type"].rsplit(".", 1)[1]
    at, version = data.get("sent_at") or data["failed_at"], int(event.get("version") or 0)
    record = notification.record_id(data)
    before = models.others.find_one({"_id": record}, session=session)
    doc = notification.apply(_copy(before) or notification.new(record), data, status, at, version)
    _save_other(models, session, doc, data["user_id"], contrib.of_delivery, before)
    if status == "sent" and data.get("customer_id") and data["kind"] in CONTACT_REMINDERS:
        _change_customer(models, session, data["customer_id"],
                         lambda doc: customer_model.remind(doc, data["delivery_id"], at))


def user_event(models, session, event: dict) -> None:
    data = event["data"]
    before = models.users.find_one({"_id": data["user_id"]}, session=session)
    models.users.replace_one({"_id": data["user_id"]}, {
        "_id": data["user_id"], "username": data["username"], "role": data.get("role"),
        "department_path": data.get("department_path", []), "active": data.get("active", True)},
        upsert=True, session=session)
    if before and before.get("department_path") == data.get("department_path", []):
        return
    for other in list(models.others.find({"owner_id": data["user_id"]}, session=session)):
        _save_other(models, session, _copy(other), data["user_id"], OTHER_RULES[other["_id"].split(":")[0]],
                    other)


def department_event(models, session, event: dict) -> None:
    data = event["data"]
    models.departments.replace_one({"_id": data["department_id"]}, {
        "_id": data["department_id"], "name": data["name"], "path": data.get("path", []),
        "active": data.get("active", True)}, upsert=True, session=session)


def pipeline_event(models, session, event: dict) -> None:
    """A pipeline's stages with their expectations, which the funnel and forecast compare against."""
    data = event["data"]
    models.pipelines.replace_one({"_id": data["pipeline_id"]}, {
        "_id": data["pipeline_id"], "name": data["name"],
        "stages": [{k: stage.get(k) for k in ("key", "expected_days", "expected_rate")} for stage in data["stages"]]},
        upsert=True, session=session)


OTHER_RULES = {"lead": contrib.of_lead, "resub": contrib.of_lead, "move": contrib.of_move,
               "notice": contrib.of_delivery, "delivery": contrib.of_delivery}  # delivery: per delivery, before notice


def _save_other(models, session, doc, owner_id, rule, before=None) -> None:
    """Leads, resubmissions and pool moves are filed under their rep and the rep's department now."""
    user = models.users.find_one({"_id": owner_id}, session=session) if owner_id else None
    doc.update(owner_id=owner_id, department_path=(user or {}).get("department_path", []))
    if before is None:
        before = models.others.find_one({"_id": doc["_id"]}, session=session)
    store.save(models, "others", before, doc, rule(doc), session)


def _refresh_customers_of_lead(models, session, lead: dict) -> None:
    for before in list(models.customers.find({"source_lead_id": lead["lead_id"]}, session=session)):
        doc = _copy(before)
        doc["lead"] = lead_fields(lead)
        store.save(models, "customers", before, doc, contrib.of_customer(doc), session)


def _copy(doc):
    return copy.deepcopy(doc) if doc is not None else None


TABLE = {"crm.customer.": customer_event, "crm.lead.": lead_event, "crm.pool.": pool_event,
         "crm.user.": user_event, "crm.department.": department_event, "crm.notification.": notification_event,
         "crm.pipeline.": pipeline_event}


def for_models(models_of) -> dict:
    """Every contract type reporting reads -> handler(event, session) writing into `models_of(session)`."""
    def handler_of(handle):
        return lambda event, session: handle(models_of(session), session, event)
    return {event_type: handler_of(handle) for event_type, _ in events.contract_types()
            for prefix, handle in TABLE.items() if event_type.startswith(prefix)}

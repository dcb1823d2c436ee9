"""A lead's record in the read models (DOMAIN §5 channels): received, flagged as a possible duplicate,
assigned, converted; and each exact duplicate (a resubmission) as a fact of its own."""
from __future__ import annotations

from .days import parse

FIELDS = ("channel", "campaign", "received_at")  # what a customer's record keeps of its source lead
COUNTED = ("received", "duplicate_detected", "assigned", "converted")


def record_id(data: dict) -> str:
    return "lead:" + (data.get("lead_id") or data.get("merged_id"))


def new(data: dict) -> dict:
    return {"_id": record_id(data), "lead_id": data.get("lead_id") or data.get("merged_id"), "channel": None,
            "campaign": None}


def resubmission(event: dict) -> dict:
    """An exact duplicate, under the channel and campaign it came through."""
    data = event["data"]
    return {"_id": "resub:" + event["id"], "channel": data.get("channel") or data.get("channel_id"),
            "campaign": data.get("campaign"), "resubmitted_at": data["received_at"]}


def apply(doc: dict, kind: str, data: dict) -> str | None:
    """Change the record by a crm.lead.<kind> event; returns the rep it is filed under: the owner of the
    latest assignment or conversion (by its time, whatever the arrival order), else the one it had."""
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
    return owner or doc.get("owner_id")


def for_customer(lead: dict | None) -> dict:
    """What a customer's record keeps of its source lead."""
    return {k: lead.get(k) for k in FIELDS if lead.get(k)} if lead else {}

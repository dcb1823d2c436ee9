"""A task (待办) as reporting keeps it: the latest snapshot its events carry, filed under its assignee.

Every crm.task.* event carries the whole task and its version, so the record keeps the newest
snapshot whatever the arrival order. `open_due` is set only while the task is open: the workbench
and the per-rep report find a rep's open tasks by it (an index of assignee and due time).
"""
from __future__ import annotations

from .days import parse

FIELDS = ("task_id", "title", "assignee_id", "due_at", "status", "priority", "related", "customer_id",
          "done_late", "completed_at")


def record_id(data: dict) -> str:
    return "task:" + data["task_id"]


def new(data: dict) -> dict:
    return {"_id": record_id(data), "v": 0, "channel": None, "campaign": None}


def apply(doc: dict, data: dict) -> dict:
    """The record after one event; an older snapshot than the one held changes nothing."""
    version = int(data.get("version") or 0)
    if version < doc["v"]:
        return doc
    doc.update({k: data.get(k) for k in FIELDS}, v=version)
    doc["open_due"] = parse(data["due_at"]) if data["status"] == "open" else None
    if data["status"] == "done" and doc["done_late"] is None and doc["completed_at"]:
        doc["done_late"] = parse(doc["completed_at"]) > parse(data["due_at"])
    return doc


def shown(doc: dict) -> dict:
    """A task as the workbench lists it."""
    return {k: doc.get(k) for k in ("task_id", "title", "due_at", "priority", "related")}

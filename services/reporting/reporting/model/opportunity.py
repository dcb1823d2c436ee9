"""One opportunity (商机) in the read models, changed by its crm.opportunity.* events, and the deal a
customer without opportunity events stands for.

Reports count deals. A deal is kept as a record of its own, filed under its own owner and its customer's
department and source channel. Like a customer's record it is independent of arrival order: the
snapshot comes from the highest version, stage moves and expected dates are kept by version, and a
deletion is final.

A customer stored before opportunities existed counts as one deal made of its own stage history (the
`legacy` view), until its first opportunity event arrives. The migration's first deal
(`by: migration`) goes on from that history: it keeps the customer's stage moves, creation, win or
loss and signing dates up to the migration, so a rebuild shows it as the migration made it.
"""
from __future__ import annotations

from crm_common.kernel.money import fen

from . import customer as customer_model
from .days import parse
from .stages import CLOSED

SNAPSHOT = ("name", "customer_id", "owner_id", "department_path", "pipeline_id", "stage", "status",
            "expected_close_date", "grade", "expected_sign_date", "source_lead_id")


def record_id(data: dict) -> str:
    return "opp:" + data["opportunity_id"]


def new(data: dict) -> dict:
    return {"_id": record_id(data), "opportunity_id": data["opportunity_id"], "customer_id": data["customer_id"],
            "snap_v": 0, "deleted": False, "moves": {}, "dates": {}, "lead": {}, "industry": None}


def apply(doc: dict, event: dict) -> dict:
    """The record after one crm.opportunity.* event."""
    if doc["deleted"]:
        return doc
    data, kind = event["data"], event["type"].rsplit(".", 1)[1]
    version = int(event.get("version") or 0)
    if version >= doc["snap_v"]:
        doc.update({k: data.get(k) for k in SNAPSHOT}, snap_v=version, amount=_fen(data.get("amount")),
                   expected_amount=_fen(data.get("expected_amount")))
    date = data.get("expected_close_date") or data.get("expected_sign_date")
    if date:
        doc["dates"][str(version)] = date
    if kind == "created":
        doc.update(created_at=data["created_at"], first_stage=data["stage"])
        if data.get("by") == "migration":
            doc["inherit_until"] = data["created_at"]
    elif kind == "stage_changed":
        doc["moves"][str(version)] = {"from": data["from"], "to": data["to"], "at": data["changed_at"], "v": version}
    elif kind in ("won", "lost") and version >= doc.get(kind, {}).get("v", -1):
        doc[kind] = {"at": data[f"{kind}_at"], "v": version}
    elif kind == "deleted":
        doc["deleted"] = True
    return doc


def with_customer(doc: dict, customer: dict | None) -> dict:
    """What the deal takes from its customer's record: the source channel and lead, the industry, and,
    for the migration's first deal, the customer's history up to the migration."""
    customer = customer or {}
    doc.update(lead=dict(customer.get("lead") or {}), industry=customer.get("industry"))
    if doc.get("inherit_until"):
        doc["legacy"] = _history_until(customer, doc["inherit_until"])
    return doc


def _history_until(customer: dict, until: str) -> dict:
    cut = parse(until)
    before = lambda at: at is not None and parse(at) <= cut  # noqa: E731
    quals = sorted((q for q in (customer.get("quals") or {}).values() if q.get("sign_date")), key=lambda q: q["v"])
    return {"moves": {"c" + k: m for k, m in (customer.get("moves") or {}).items() if before(m["at"])},
            "created_at": customer.get("created_at"), "first_stage": customer.get("first_stage"),
            "won_at": customer.get("won_at") if before(customer.get("won_at")) else None,
            "lost_at": customer.get("lost_at") if before(customer.get("lost_at")) else None,
            "first_date": quals[0]["sign_date"] if quals else None}


def view(doc: dict) -> dict | None:
    """The deal as the reports count it (see `legacy` for a customer's); None once deleted."""
    if doc["deleted"] or not doc.get("stage"):
        return None
    legacy = doc.get("legacy") or {}
    moves = {**legacy.get("moves", {}), **doc["moves"]}
    dates = [doc["dates"][k] for k in sorted(doc["dates"], key=int)]
    start = legacy.get("created_at") or doc.get("created_at")
    return {"stage": doc["stage"], "status": doc.get("status") or "open", "pipeline_id": doc.get("pipeline_id"),
            "amount": doc.get("amount"), "expected_amount": doc.get("expected_amount"),
            "close_date": doc.get("expected_close_date") or doc.get("expected_sign_date"),
            "first_date": legacy.get("first_date") or (dates[0] if dates else None),
            "entries": customer_model.stays({"moves": moves, "created_at": start,
                                             "first_stage": legacy.get("first_stage") or doc.get("first_stage"),
                                             "stage": doc["stage"]}),
            "won_at": doc.get("won", {}).get("at") or legacy.get("won_at"),
            "lost_at": doc.get("lost", {}).get("at") or legacy.get("lost_at"),
            "cycle_start": (doc["lead"].get("received_at") if doc.get("source_lead_id") else None) or start,
            "grade": doc.get("grade"), "industry": doc.get("industry")}


def legacy(doc: dict) -> dict | None:
    """A customer without opportunity events as the one deal it stood for: its stage history, its 定级 and
    定量, its win (order total) or loss."""
    if doc["deleted"] or doc.get("stage") is None or doc.get("deal_ids"):
        return None
    qual = customer_model.qualification(doc)
    stage = doc["stage"]
    status = "won" if doc.get("won_at") else "lost" if doc.get("lost_at") or stage == "lost" else \
        "closed" if stage in CLOSED else "open"
    return {"stage": stage, "status": status, "pipeline_id": None,
            "amount": doc.get("won_fen") if status == "won" else None, "expected_amount": qual.get("amount"),
            "close_date": qual.get("sign_date"), "first_date": qual.get("first_sign_date"),
            "entries": customer_model.stays(doc), "won_at": doc.get("won_at"), "lost_at": doc.get("lost_at"),
            "cycle_start": doc["lead"].get("received_at") or doc.get("created_at"),
            "grade": qual.get("grade"), "industry": doc.get("industry")}


def _fen(amount) -> int | None:
    return fen(amount) if amount is not None else None

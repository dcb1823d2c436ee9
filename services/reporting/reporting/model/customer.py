"""One customer's record in the read models, changed by its events.

Every change is idempotent and independent of arrival order by construction:
snapshot fields are taken from the event with the highest customer version,
facts (stage moves, follow-ups, contracts, payments, qualifications) are kept
by their record or event id, and a deletion is final. So a redelivered, a
duplicated or a late event changes nothing it should not.
"""
from __future__ import annotations

from crm_common.kernel.money import fen

from .days import parse
from .stages import CLOSED

SNAPSHOT = ("name", "owner_id", "department_path", "collaborator_ids", "level", "stage", "lifecycle",
            "industry", "city", "milestones")


def new(customer_id: str) -> dict:
    return {"_id": customer_id, "snap_v": 0, "owner_id": None, "department_path": [], "collaborator_ids": [],
            "stage": None, "deleted": False, "moves": {}, "followups": {}, "contracts": {}, "payments": {},
            "quals": {}, "lead": {}, "reminders": {}}


def apply(doc: dict, event: dict) -> dict:
    """The record after `event` (a crm.customer.* event)."""
    if doc["deleted"]:
        return doc
    data, kind = event["data"], event["type"].rsplit(".", 1)[1]
    version = int(data.get("version") or event.get("version") or 0)
    if version >= doc["snap_v"]:
        doc.update({k: data[k] for k in SNAPSHOT if k in data}, snap_v=version)
    CHANGES.get(kind, lambda d, e, v: None)(doc, data, version)
    return doc


def _created(doc, data, version):
    doc.update(created_at=data["created_at"], first_stage=data["stage"],
               source_lead_id=data.get("source_lead_id"))


def _stage_changed(doc, data, version):
    doc["moves"][str(version)] = {"from": data["from"], "to": data["to"], "at": data["changed_at"], "v": version}
    if data.get("expected_rate") is not None or data.get("expected_days"):
        doc.setdefault("expected", {})[data["to"]] = [data.get("expected_days"), data.get("expected_rate")]


def _followed_up(doc, data, version):
    doc["followups"][data["followup_id"]] = {"at": data["followed_up_at"], "v": version,
                                             "next": data.get("next_contact_at")}


def _qualified(doc, data, version):
    doc["quals"][str(version)] = {
        "qualitative": data.get("qualitative"), "grade": data.get("grade"),
        "amount": fen(data.get("expected_amount")) if data.get("expected_amount") is not None else None,
        "sign_date": data.get("expected_sign_date"), "v": version}


def _contract_signed(doc, data, version):
    doc["contracts"][data["contract_id"]] = {"fen": fen(data["amount"]), "at": data["signed_at"]}


def _payment_received(doc, data, version):
    doc["payments"][data["payment_id"]] = {"fen": fen(data["amount"]), "on": data["received_on"]}


def _won(doc, data, version):
    if version >= doc.get("won_v", 0):
        doc.update(won_at=data["won_at"], won_fen=fen(data.get("order_total")), won_v=version)


def _lost(doc, data, version):
    if version >= doc.get("lost_v", 0):
        doc.update(lost_at=data["lost_at"], lost_v=version)


def _deleted(doc, data, version):
    doc.update(deleted=True, deleted_at=data["deleted_at"])


CHANGES = {"created": _created, "stage_changed": _stage_changed, "followed_up": _followed_up,
           "qualified": _qualified, "contract_signed": _contract_signed, "payment_received": _payment_received,
           "won": _won, "lost": _lost, "deleted": _deleted}


def remind(doc: dict, delivery_id: str, at: str) -> dict:
    """A reminder to contact the customer reached its owner (crm.notification.sent) at `at`: it was due."""
    if not doc["deleted"]:
        doc.setdefault("reminders", {})[delivery_id] = at
    return doc


def outstanding_reminders(doc: dict) -> dict:
    """The reminders no follow-up has answered yet (older ones never count again: follow-ups only add)."""
    last = last_followup(doc)
    return {k: at for k, at in (doc.get("reminders") or {}).items() if not last or parse(at) > parse(last["at"])}


def due_at(doc: dict) -> str | None:
    """When the customer was first due a contact that has not happened: the next contact the last
    follow-up set, or a reminder notify sent after the last follow-up (cadence, stage follow-up, ...)."""
    last, due = last_followup(doc), list(outstanding_reminders(doc).values())
    if last and last.get("next") and parse(last["next"]) > parse(last["at"]):
        due.append(last["next"])
    return min(due, key=parse, default=None)


def qualification(doc: dict) -> dict:
    """The latest qualification (三定), and the first expected signing date, for slippage."""
    quals = sorted(doc["quals"].values(), key=lambda q: q["v"])
    if not quals:
        return {}
    dated = [q["sign_date"] for q in quals if q.get("sign_date")]
    return {**quals[-1], "first_sign_date": dated[0] if dated else None}


def last_followup(doc: dict) -> dict | None:
    return max(doc["followups"].values(), key=lambda f: (parse(f["at"]), f["v"]), default=None)


def stays(doc: dict) -> list[dict]:
    """Each stage entry and exit with its time, in order: [{stage, entered, exited, next}]."""
    moves = sorted(doc["moves"].values(), key=lambda m: (parse(m["at"]), m["v"]))
    first = moves[0]["from"] if moves else (doc.get("first_stage") or doc.get("stage"))
    start = doc.get("created_at") or (moves[0]["at"] if moves else None)
    if first is None or start is None:
        return []
    entries = [(first, start)] + [(m["to"], m["at"]) for m in moves]
    out = []
    for i, (stage, entered) in enumerate(entries):
        nxt = entries[i + 1] if i + 1 < len(entries) else (None, None)
        out.append({"stage": stage, "entered": entered, "exited": nxt[1], "next": nxt[0]})
    return out


def derive(doc: dict) -> dict:
    """Fields the workbench reads directly, kept on the record: the reminders still unanswered, the
    last follow-up and the contact now due, since when the customer is in its stage, its qualification,
    the pin (上首屏), and high intent (valuable or large, not closed); a deleted customer has none."""
    last, entries = last_followup(doc), stays(doc)
    qual = qualification(doc)
    doc["reminders"] = outstanding_reminders(doc)
    doc.update(last_followup_at=parse(last and last["at"]), next_contact_at=parse(due_at(doc)),
               stage_since=parse(entries[-1]["entered"] if entries else doc.get("created_at")),
               qualitative=qual.get("qualitative"), grade=qual.get("grade"),
               pinned=bool((doc.get("milestones") or {}).get("pinned")),
               high_intent=(qual.get("qualitative") == "valuable" or qual.get("grade") == "large")
               and doc.get("stage") not in CLOSED)
    if doc["deleted"]:
        doc.update(next_contact_at=None, pinned=False, high_intent=False)
    return doc

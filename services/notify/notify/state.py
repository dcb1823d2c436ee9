"""Notify's own copy of what reminders need, built from events only.

Users (supervisor chain, role, department) come from crm.org; customers (owner, level, grade,
stage, last follow-up, next contact, birthdays, founding date) and their contracts from
crm.customers. The consumer loop applies a snapshot only when newer, but a fact (a follow-up, a
contract) also when it comes late, after a redrive: its snapshot is then of its time, so a customer's
copy keeps the version of the snapshot it shows and takes only newer ones.
"""
from __future__ import annotations

from crm_common.kernel import money
from crm_common.events import parse_time

SNAPSHOT = ("name", "owner_id", "department_path", "level", "stage")
OPTIONAL = ("grade", "founded_on", "birthdays", "lifecycle")  # older events lack them: absent means unchanged


def user_changed(rt, session, data: dict) -> None:
    """crm.user.created / crm.user.updated."""
    fields = {k: data.get(k) for k in ("username", "role", "department_id", "supervisor_id")}
    fields.update(department_path=data.get("department_path", []), active=data.get("active", True))
    rt.db.users.update_one({"_id": data["user_id"]}, {"$set": fields}, upsert=True, session=session)


def customer_changed(rt, session, data: dict, **extra) -> None:
    """Every crm.customer.* event carries the customer's snapshot; `extra` adds what this event says."""
    kept = rt.db.customers.find_one({"_id": data["customer_id"]}, {"snapshot_version": 1, "last_followup.at": 1},
                                    session=session) or {}
    version, held = data.get("version"), kept.get("snapshot_version")
    fields: dict = {}
    if version is None or held is None or version >= held:
        fields = {k: data.get(k) for k in SNAPSHOT}
        fields.update({k: data[k] for k in OPTIONAL if k in data})
        fields.update(extra, **({"snapshot_version": version} if version is not None else {}))
    last, new = (kept.get("last_followup") or {}).get("at"), extra.get("last_followup")
    if new is not None and (last is None or new["at"] >= last):
        fields["last_followup"] = new  # a follow-up applied late is the last one only if it is the latest
    else:
        fields.pop("last_followup", None)
    rt.db.customers.update_one({"_id": data["customer_id"]}, {"$set": fields, "$setOnInsert": {"deleted": False}},
                               upsert=True, session=session)


def followed_up(rt, session, data: dict) -> None:
    at = parse_time(data["followed_up_at"])
    customer_changed(rt, session, data, last_followup={
        "followup_id": data["followup_id"], "at": at, "summary": data.get("summary") or "",
        "channel": data.get("channel"), "next_plan": data.get("next_plan"),
        "next_contact_at": parse_time(data["next_contact_at"]) if data.get("next_contact_at") else None})


def contract_signed(rt, session, data: dict) -> None:
    # Amounts kept as the decimal strings the facts show ("120000.00"), older numeric events alike.
    customer_changed(rt, session, data, amount=money.text(data.get("order_total") or data.get("amount")))
    rt.db.contracts.update_one({"_id": data["contract_id"]}, {"$set": {
        "customer_id": data["customer_id"], "title": data.get("title"), "amount": money.text(data.get("amount")),
        "end_date": data.get("end_date")}}, upsert=True, session=session)


def deleted(rt, session, data: dict) -> None:
    rt.db.customers.update_one({"_id": data["customer_id"]}, {"$set": {"deleted": True, "owner_id": None}},
                               upsert=True, session=session)


def customer(rt, session, customer_id: str) -> dict | None:
    return rt.db.customers.find_one({"_id": customer_id}, session=session)


def by_id(collection, ids, session=None) -> dict:
    ids = list({i for i in ids if i})
    return {d["_id"]: d for d in collection.find({"_id": {"$in": ids}}, session=session)} if ids else {}


def managers_of(rt, users: list[dict], session=None) -> dict:
    """user id -> the managers of the nearest department up their path that has any."""
    paths = {u["_id"]: u.get("department_path") or [] for u in users}
    departments = {d for p in paths.values() for d in p}
    found: dict = {}
    for m in rt.db.users.find({"role": "manager", "active": True, "department_id": {"$in": list(departments)}},
                              session=session):
        found.setdefault(m["department_id"], []).append(m["_id"])
    return {uid: next((found[d] for d in reversed(path) if d in found), []) for uid, path in paths.items()}

"""The contact keys of leads, copied from lead-intake's events, so that a customer entered, edited or
imported by hand is refused when one of its contacts is already a lead (DOMAIN §1: against every lead
and every customer contact; 防撞单). lead-intake stays the authority on leads: this copy follows its
events (received, resubmitted with new keys, merged, converted) and only says "held by a lead".
A converted lead's keys leave with the conversion, as they become its customer's.
"""
from __future__ import annotations

from pymongo import UpdateOne

from crm_common.kernel import identity


def received(rt, session, data: dict) -> None:
    _hold(rt, session, data["lead_id"], identity.identity_keys(
        data.get("phones", []), data.get("emails", []), data.get("wechat_ids", []), data.get("company") or "",
        data.get("name") or ""))


def resubmitted(rt, session, data: dict) -> None:
    if data["record_kind"] == "lead":
        _hold(rt, session, data["record_id"], data.get("added_keys", []))


def confirmed(rt, session, data: dict) -> None:
    """A user confirmed methods a resubmission only offered: they are the lead's from now on."""
    _hold(rt, session, data["lead_id"], data.get("added_keys", []))


def merged(rt, session, data: dict) -> None:
    if data["survivor_kind"] == "lead":
        rt.db.lead_keys.update_many({"lead_id": data["merged_id"]}, {"$set": {"lead_id": data["survivor_id"]}},
                                    session=session)
    else:
        forget(rt, session, data["merged_id"])


def forget(rt, session, lead_id: str) -> None:
    rt.db.lead_keys.delete_many({"lead_id": lead_id}, session=session)


def held(rt, session, keys: list[str]) -> dict[str, str]:
    """key -> the lead holding it, for those of `keys` a lead holds."""
    if not keys:
        return {}
    return {k["_id"]: k["lead_id"] for k in rt.db.lead_keys.find({"_id": {"$in": sorted(keys)}}, session=session)}


def of_customer(customer: dict) -> list[str]:
    """The keys a lead would hold for this customer's contacts: contact methods, and company with contact name."""
    return sorted({key for c in customer["contacts"] for key in identity.identity_keys(
        c.get("phones", []), c.get("emails", []), c.get("wechat_ids", []), customer["name"], c.get("name") or "")})


def _hold(rt, session, lead_id: str, keys: list[str]) -> None:
    if keys:  # the first lead to take a key keeps it, as lead-intake's unique keys decide
        rt.db.lead_keys.bulk_write([UpdateOne({"_id": k}, {"$setOnInsert": {"lead_id": lead_id}}, upsert=True)
                                    for k in keys], ordered=True, session=session)

"""Per-user preferences as stored: channels per reminder kind, email, language, quiet hours in their
time zone; what is not set is the default (rules.DEFAULTS)."""
from __future__ import annotations

from .rules import DEFAULTS


def of(rt, user_ids, session=None) -> dict:
    """user id -> preferences, defaults filled in."""
    found = {p["_id"]: p for p in rt.db.preferences.find({"_id": {"$in": list(user_ids)}}, session=session)}
    return {uid: {**DEFAULTS, **{k: v for k, v in found.get(uid, {}).items() if k != "_id"}} for uid in user_ids}


def put(rt, user_id: str, body: dict) -> dict:
    rt.db.preferences.update_one({"_id": user_id}, {"$set": body}, upsert=True)
    return of(rt, [user_id])[user_id]

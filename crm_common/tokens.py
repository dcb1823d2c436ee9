"""Access is withdrawn within seconds (issue 12): each service keeps every user's token
version and active flag from crm.user.* events, and `require_user` refuses a token whose
version is older, or whose user is inactive.

The customer service bumps `token_version` on a role, department or active change and
carries it in the JWT (claim `tv`) and on crm.user.* events (data.token_version).
Wiring (crm_common/service.py bootstrap): add `HANDLERS` to every service's handlers,
chained after a service's own handler of the same type, and `INDEXES` to its indexes.
"""
from __future__ import annotations

COLLECTION = "user_tokens"
USER_EVENTS = ("crm.user.created", "crm.user.updated", "crm.user.deactivated")
INDEXES = {COLLECTION: []}  # looked up by _id only


def user_changed(rt, session, event: dict) -> None:
    """Keep the user's latest token version and active flag (the consumer's version guard orders them)."""
    data = event["data"]
    rt.db[COLLECTION].update_one({"_id": data["user_id"]}, {"$set": {
        "token_version": int(data.get("token_version", 0)),
        "active": bool(data.get("active", True)) and not event["type"].endswith(".deactivated")}},
        upsert=True, session=session)


HANDLERS = {event_type: user_changed for event_type in USER_EVENTS}


def refusal(db, user_id: str, token_version: int) -> str | None:
    """Why a token of this user and version is no longer good, or None. Unknown users pass:
    a service that has not heard of a user yet cannot know better than the signature."""
    known = db[COLLECTION].find_one({"_id": user_id})
    if known is None:
        return None
    if not known.get("active", True):
        return "the user is deactivated"
    if token_version < known.get("token_version", 0):
        return "the user's role or department changed; sign in again"
    return None

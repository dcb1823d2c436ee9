"""Access is withdrawn within seconds: each service keeps every user's token
version and active flag from crm.user.* events, and `require_user` refuses a token whose
version is older, or whose user is inactive.

A user a service has not learnt of yet is refused there until crm.org brings them.

The customer service bumps `token_version` on a role, department, password or active change
and carries it in the JWT (claim `tv`) and on crm.user.* events (data.token_version). It reads
its own `users` collection, which has the same two fields; every other service keeps
COLLECTION through the one handler `with_user_tokens` adds to its worker (crm_common/service.py).
"""
from __future__ import annotations

COLLECTION = "user_tokens"
USER_EVENTS = ("crm.user.created", "crm.user.updated")
UNKNOWN = "this service has not learnt of the user yet; retry in a few seconds"


def user_changed(rt, session, event: dict) -> None:
    """Keep the user's latest token version and active flag (the consumer's version guard orders them)."""
    data = event["data"]
    rt.db[COLLECTION].update_one({"_id": data["user_id"]}, {"$set": {
        "token_version": int(data.get("token_version", 0)), "active": bool(data.get("active", True))}},
        upsert=True, session=session)


def with_user_tokens(rt, handlers: dict) -> dict:
    """`handlers` with user_changed run after the service's own handler of each crm.user.* event,
    in the same transaction (one version guard claim covers both)."""
    def chained(own):
        def handle(event, session):
            if own is not None:
                own(event, session)
            user_changed(rt, session, event)
        return handle
    return {**handlers, **{t: chained(handlers.get(t)) for t in USER_EVENTS}}


def refusal(db, user_id: str, token_version: int, collection: str = COLLECTION) -> str | None:
    """Why a token of this user and version is not good here, or None.

    A user this service has not learnt of yet is refused too: it cannot tell whether
    they were deactivated a moment after being created. crm.org brings a new user within seconds,
    and the customer service, which owns the users, knows each one from the start."""
    known = db[collection].find_one({"_id": user_id}, {"active": 1, "token_version": 1})
    if known is None:
        return UNKNOWN
    if not known.get("active", True):
        return "the user is deactivated"
    if token_version < known.get("token_version", 0):
        return "the user's role or department changed; sign in again"
    return None

"""The subscriptions an admin registers: URL and secret sealed at rest (as a robot's: its URL may carry a
token), every change audited and announced as crm.config.changed, a PATCH only on the version last read."""
from __future__ import annotations

from crm_common import audit, concurrency
from crm_common.kernel.refusals import NotFound, Stale
from crm_common.paging import new_id

from ..channels import masking, sealing
from . import queue, rules

KIND = "subscription"


def create(rt, body: dict) -> dict:
    """The new subscription, with its plain secret for the one answer that shows it."""
    sub_id, secret = new_id(), body.get("secret") or rules.new_secret()
    doc = {"_id": sub_id, "url": sealing.seal(rt, body["url"], "subscription-url", sub_id),
           "url_shown": masking.masked_url(body["url"]), "types": list(dict.fromkeys(body["types"])),
           "secret": sealing.seal(rt, secret, "subscription", sub_id), "active": True, "version": 1,
           "created_at": rt.clock.now()}
    audit.recorded(rt, KIND, sub_id, None, doc, lambda session: rt.db.subscriptions.insert_one(doc, session=session))
    return {**doc, "secret": secret}


def get(rt, sub_id: str) -> dict:
    doc = rt.db.subscriptions.find_one({"_id": sub_id, "deleted_at": None})
    if doc is None:
        raise NotFound("no such subscription")
    return doc


def change(rt, sub_id: str, changes: dict, expected: frozenset[int] | None) -> dict:
    """Change url, types or active on the version If-Match names. Pausing (active false) stops queueing
    new events; those already queued still go."""
    current = get(rt, sub_id)
    concurrency.check(current, expected)
    fields = {k: v for k, v in changes.items() if k != "url"}
    if "url" in changes:
        fields.update(url=sealing.seal(rt, changes["url"], "subscription-url", sub_id),
                      url_shown=masking.masked_url(changes["url"]))
    after = {**current, **fields, "version": current["version"] + 1}

    def write(session):
        done = rt.db.subscriptions.update_one({"_id": sub_id, "version": current["version"], "deleted_at": None},
                                              {"$set": fields, "$inc": {"version": 1}}, session=session)
        if not done.modified_count:
            raise Stale("the subscription changed since you read it; read it again and reapply your change",
                        reason="stale")
    audit.recorded(rt, KIND, sub_id, current, after, write)
    return get(rt, sub_id)


def delete(rt, sub_id: str) -> None:
    """Gone for good: its queued deliveries are parked, none is sent after the answer."""
    current = rt.db.subscriptions.find_one({"_id": sub_id})
    if current is None:
        raise NotFound("no such subscription")
    if current.get("deleted_at"):
        return  # deleting it again changes nothing, and leaves no second trace

    def write(session):
        rt.db.subscriptions.update_one({"_id": sub_id}, {"$set": {"active": False, "deleted_at": rt.clock.now()}},
                                       session=session)
        queue.park_all(rt, session, sub_id, "the subscription was removed")
    audit.recorded(rt, KIND, sub_id, current, None, write)

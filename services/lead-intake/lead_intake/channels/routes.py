"""The channels API: every lead source has its own API key (stored hashed), quality weight and rate limit.

An admin creates, edits, rotates and revokes them; a change applies at once in this process and
within keys.CACHE_SECONDS in the others (keys.py).
"""
from __future__ import annotations

from crm_common import audit, concurrency
from crm_common.auth import hash_api_key, new_api_key, require_user
from crm_common.idempotency import idempotent
from crm_common.kernel.refusals import Conflict, NotFound
from crm_common.paging import new_id
from crm_common.web import Blueprint, runtime

from .keys import forget
from .schemas import ChannelIn, ChannelOut, ChannelPatch, ChannelWithKey

blp = Blueprint("channels", __name__, url_prefix="/v1/channels", description="Lead sources and their API keys")


@blp.route("", methods=["POST"])
@require_user("admin")
@idempotent(secret=True)  # the answer carries the new API key
@blp.arguments(ChannelIn)
@blp.response(201, ChannelWithKey)
def create_channel(body):
    rt = runtime()
    key = new_api_key()
    channel = {"_id": new_id(), **body, "key_hash": hash_api_key(key), "active": True, "created_at": rt.clock.now()}

    def write(session):  # the answer is kept (sealed) with the channel: a retried request gets this channel and key
        rt.db.channels.insert_one(channel, session=session)
        audit.record(rt, session, "channel", channel["_id"], None, channel)  # its key hash masked
        return {**channel, "api_key": key}
    return rt.transaction(write)


@blp.route("", methods=["GET"])
@require_user("admin")
@blp.response(200, ChannelOut(many=True))
def list_channels():
    return list(runtime().db.channels.find({}, {"key_hash": 0}).sort("_id", 1))


@blp.route("/<channel_id>", methods=["GET"])
@require_user("admin")
@blp.response(200, ChannelOut)
def get_channel(channel_id):
    """One channel, with the ETag a change of it sends back in If-Match."""
    channel = _channel(channel_id)
    return channel, 200, concurrency.etag_headers(channel)


@blp.route("/<channel_id>", methods=["PATCH"])
@require_user("admin")
@concurrency.documented()
@blp.arguments(ChannelPatch)
@blp.response(200, ChannelOut)
def update_channel(body, channel_id):
    """Needs If-Match with the ETag last read: 428 without it, 412 if another admin changed the channel since."""
    rt, expected = runtime(), concurrency.expected_versions()

    def write(session):  # checked, changed and recorded in one transaction
        before = _channel(channel_id, session)
        concurrency.check(before, expected)
        after = {**before, **body, "version": before.get("version", 1) + 1}
        rt.db.channels.update_one({"_id": channel_id}, {"$set": {**body, "version": after["version"]}},
                                  session=session)
        audit.record(rt, session, "channel", channel_id, before, after)
        return after
    after = rt.transaction(write)
    forget()
    return after, 200, concurrency.etag_headers(after)


@blp.route("/<channel_id>/rotate-key", methods=["POST"])
@require_user("admin")
@idempotent(secret=True)  # the answer carries the new API key
@blp.response(200, ChannelWithKey)
def rotate_key(channel_id):
    """A new key replaces the old one: the old key stops working at once through this process,
    within CACHE_SECONDS through the others."""
    channel = _channel(channel_id)
    if not channel["active"]:
        raise Conflict("a revoked channel has no key to rotate")
    rt, key = runtime(), new_api_key()

    def write(session):  # one transaction, its answer kept with it: a retry, even a minute later, rotates nothing
        rt.db.channels.update_one({"_id": channel_id}, {"$set": {"key_hash": hash_api_key(key)}}, session=session)
        # who rotated it and when; the key itself is never kept (both sides show only that one is set)
        audit.record(rt, session, "channel.key", channel_id, {"key_hash": True}, {"key_hash": True})
        return {**channel, "api_key": key}
    rotated = rt.transaction(write)
    forget()
    return rotated


@blp.route("/<channel_id>/revoke", methods=["POST"])
@require_user("admin")
@idempotent
@blp.response(200, ChannelOut)
def revoke(channel_id):
    rt, now = runtime(), runtime().clock.now()

    def write(session):
        before = _channel(channel_id, session)
        if before["active"]:  # revoking a revoked channel changes nothing, and leaves no second trace
            change = {"active": False, "revoked_at": now, "version": before.get("version", 1) + 1}
            rt.db.channels.update_one({"_id": channel_id, "active": True}, {"$set": change}, session=session)
            audit.record(rt, session, "channel", channel_id, before, {**before, **change})
    rt.transaction(write)
    forget()
    return _channel(channel_id)


def _channel(channel_id: str, session=None) -> dict:
    channel = runtime().db.channels.find_one({"_id": channel_id}, {"key_hash": 0}, session=session)
    if channel is None:
        raise NotFound("no such channel")
    return channel

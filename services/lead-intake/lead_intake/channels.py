"""Channels: every lead source has its own API key (stored hashed), quality weight and rate limit.

Each process remembers the channels of keys it accepted for CACHE_SECONDS, which spares
a query on every lead. A change made through this process (revoke, rotate, edit) applies
here at once; one made through another process applies here within CACHE_SECONDS.
"""
from __future__ import annotations

import functools
import time

from flask import g, request

from crm_common import ratelimit
from crm_common.idempotency import idempotent
from crm_common.auth import hash_api_key, new_api_key, require_user
from crm_common.errors import Problem
from crm_common.paging import new_id
from crm_common.web import Blueprint, runtime

from .schemas import ChannelIn, ChannelOut, ChannelPatch, ChannelWithKey

CACHE_SECONDS = 2.0
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
    rt.insert("channels", channel)
    return {**channel, "api_key": key}


@blp.route("", methods=["GET"])
@require_user("admin")
@blp.response(200, ChannelOut(many=True))
def list_channels():
    return list(runtime().db.channels.find({}, {"key_hash": 0}).sort("_id", 1))


@blp.route("/<channel_id>", methods=["PATCH"])
@require_user("admin")
@blp.arguments(ChannelPatch)
@blp.response(200, ChannelOut)
def update_channel(body, channel_id):
    runtime().db.channels.update_one({"_id": channel_id}, {"$set": body})
    _forget()
    return _channel(channel_id)


@blp.route("/<channel_id>/rotate-key", methods=["POST"])
@require_user("admin")
@idempotent(secret=True)  # the answer carries the new API key
@blp.response(200, ChannelWithKey)
def rotate_key(channel_id):
    """A new key replaces the old one: the old key stops working at once through this process,
    within CACHE_SECONDS through the others."""
    channel = _channel(channel_id)
    if not channel["active"]:
        raise Problem(409, "a revoked channel has no key to rotate")
    key = new_api_key()
    runtime().db.channels.update_one({"_id": channel_id}, {"$set": {"key_hash": hash_api_key(key)}})
    _forget()
    return {**channel, "api_key": key}


@blp.route("/<channel_id>/revoke", methods=["POST"])
@require_user("admin")
@idempotent
@blp.response(200, ChannelOut)
def revoke(channel_id):
    rt = runtime()
    rt.db.channels.update_one({"_id": channel_id, "active": True},
                              {"$set": {"active": False, "revoked_at": rt.clock.now()}})
    _forget()
    return _channel(channel_id)


def _channel(channel_id: str) -> dict:
    channel = runtime().db.channels.find_one({"_id": channel_id}, {"key_hash": 0})
    if channel is None:
        raise Problem(404, "no such channel")
    return channel


def require_channel(view):
    """Decorator: the caller is a channel presenting an active API key, within its rate limit."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        rt = runtime()
        key = request.headers.get("X-API-Key", "")
        channel = _active_channel(rt, hash_api_key(key)) if key else None
        if channel is None:
            raise Problem(401, "a valid X-API-Key header is required",
                          headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})
        ratelimit.check(rt, f"channel:{channel['_id']}", channel.get("rate_limit_per_minute", 600))
        g.channel = channel
        return view(*args, **kwargs)
    wrapper.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})["security"] = [{"apiKey": []}]
    return wrapper


def _active_channel(rt, key_hash: str) -> dict | None:
    """The active channel of a key, from this process's recent answers or MongoDB."""
    cache = _cache(rt)
    hit = cache.get(key_hash)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    channel = rt.db.channels.find_one({"key_hash": key_hash, "active": True})
    if channel is not None:  # unknown keys are not remembered: a key made elsewhere works at once
        if len(cache) > 1000:
            cache.clear()
        cache[key_hash] = (time.monotonic() + CACHE_SECONDS, channel)
    return channel


def _cache(rt) -> dict:
    if getattr(rt, "channel_cache", None) is None:
        rt.channel_cache = {}
    return rt.channel_cache


def _forget() -> None:
    _cache(runtime()).clear()

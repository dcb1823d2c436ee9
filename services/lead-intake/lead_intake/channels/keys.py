"""A channel's API key at the door: the caller is a channel presenting an active key, within its rate limit.

Each process remembers the channels of keys it accepted for CACHE_SECONDS, which spares
a query on every lead. A change made through this process (revoke, rotate, edit) applies
here at once (`forget`); one made through another process applies here within CACHE_SECONDS.
"""
from __future__ import annotations

import functools
import time

from flask import g, request

from crm_common import ratelimit
from crm_common.auth import hash_api_key
from crm_common.kernel.refusals import Unauthenticated
from crm_common.web import runtime

CACHE_SECONDS = 2.0


def require_channel(view):
    """Decorator: the caller is a channel presenting an active API key, within its rate limit."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        rt = runtime()
        key = request.headers.get("X-API-Key", "")
        channel = _active_channel(rt, hash_api_key(key)) if key else None
        if channel is None:
            raise Unauthenticated("a valid X-API-Key header is required",
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


def forget() -> None:
    """A channel changed through this process: every key is looked up again."""
    _cache(runtime()).clear()

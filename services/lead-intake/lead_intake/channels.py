"""Channels: every lead source has its own API key (stored hashed) and quality weight."""
from __future__ import annotations

import functools

from flask import g, request

from crm_common.auth import hash_api_key, new_api_key, require_user
from crm_common.errors import Problem
from crm_common.paging import new_id
from crm_common.web import Blueprint, runtime

from .schemas import ChannelCreated, ChannelIn, ChannelOut

blp = Blueprint("channels", __name__, url_prefix="/v1/channels", description="Lead sources and their API keys")


@blp.route("", methods=["POST"])
@require_user("admin")
@blp.arguments(ChannelIn)
@blp.response(201, ChannelCreated)
def create_channel(body):
    rt = runtime()
    key = new_api_key()
    channel = {"_id": new_id(), "name": body["name"], "quality_weight": body["quality_weight"],
               "key_hash": hash_api_key(key), "active": True, "created_at": rt.clock.now()}
    rt.db.channels.insert_one(channel)
    return {**channel, "api_key": key}


@blp.route("", methods=["GET"])
@require_user("admin")
@blp.response(200, ChannelOut(many=True))
def list_channels():
    return list(runtime().db.channels.find({}, {"key_hash": 0}).sort("_id", 1))


def require_channel(view):
    """Decorator: the caller is a channel presenting an active API key in X-API-Key."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("X-API-Key", "")
        channel = runtime().db.channels.find_one({"key_hash": hash_api_key(key), "active": True}) if key else None
        if channel is None:
            raise Problem(401, "a valid X-API-Key header is required",
                          headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})
        g.channel = channel
        return view(*args, **kwargs)
    wrapper.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})["security"] = [{"apiKey": []}]
    return wrapper

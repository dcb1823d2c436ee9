"""The caller's own preferences."""
from flask import g

from crm_common.auth import require_user
from crm_common.web import runtime

from ..api import inbox as blp
from . import store
from .schemas import PreferencesIn, PreferencesOut


@blp.route("/preferences/me", methods=["GET"])
@require_user()
@blp.response(200, PreferencesOut)
def my_preferences():
    uid = g.principal.user_id
    return {"user_id": uid, **store.of(runtime(), [uid])[uid]}


@blp.route("/preferences/me", methods=["PUT"])
@require_user()
@blp.arguments(PreferencesIn)
@blp.response(200, PreferencesOut)
def put_my_preferences(body):
    uid = g.principal.user_id
    if "channels" in body:
        body["channels"] = {"default": ["inbox"], **body["channels"]}
    return {"user_id": uid, **store.put(runtime(), uid, body)}

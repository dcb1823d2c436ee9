"""The admin's SMS provider setting, and the providers' receipt and reply callbacks (no login: the
token in the URL is what they carry)."""
from flask import request

from crm_common.web import runtime

from ...api import admin as blp
from .. import app_settings
from . import providers, receipts
from .schemas import CallbackAnswer, SmsIn, SmsOut

ANSWERS = {"aliyun": {"code": 0, "msg": "成功"}, "tencent": {"result": 0, "errmsg": "OK"}}
PUSH = {"type": "object", "additionalProperties": True}
DOC = {"parameters": [{"in": "query", "name": "token", "required": True, "schema": {"type": "string"},
                       "description": "The callback_token of PUT /v1/settings/sms (403 without it)"}],
       "requestBody": {"required": True, "content": {"application/json": {"schema": {
           "oneOf": [PUSH, {"type": "array", "items": PUSH}],
           "description": "The provider's push: receipts or replies, as an array or one object"}}}}}


app_settings.register(blp, "sms", providers.ID, providers.SECRETS, SmsIn, SmsOut, ("endpoint",))


def _callback(provider: str):
    def receive():
        rt = runtime()
        setting = receipts.verify(rt, request.args.get("token"))
        applied = receipts.apply(rt, setting, provider, request.get_json(silent=True))
        return {**ANSWERS[provider], "applied": applied}
    receive.__name__ = f"sms_callback_{provider}"
    receive.__doc__ = (f"{provider.capitalize()}'s delivery receipts and replies, with the token set in "
                       "PUT /v1/settings/sms as `?token=`; a reply TD, T or 退订 unsubscribes the number.")
    return blp.route(f"/sms/callback/{provider}", methods=["POST"])(blp.doc(**DOC)(
        blp.response(200, CallbackAnswer)(receive)))


for _provider in sorted(ANSWERS):
    _callback(_provider)

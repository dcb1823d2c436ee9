"""A DingTalk work notification (工作通知) from the corp app. The access token comes from the official
SDK (`alibabacloud-dingtalk`, oauth2_1_0 GetAccessToken) and is cached (tokens.py). The SDK has no
work-notification call (only the robots' one-to-one messages), so the message goes to the old
endpoint, `oapi.dingtalk.com/topapi/message/corpconversation/asyncsend_v2`, as plain HTTP through
notify's send."""
from __future__ import annotations

import json

from .. import app_settings, sdk_http
from ..network import SendError
from ..sending import post, text_of
from . import tokens

ID = "dingtalk-app"
SECRETS = app_settings.SEALED[ID]
API, OAPI = "https://api.dingtalk.com", "https://oapi.dingtalk.com"
TOKEN_REJECTED = {40014, 42001, 88, 40001}  # invalid or expired access token: fetched anew next time


def send(rt, row: dict, allowed: list[str]) -> None:
    app = app_settings.for_sending(rt, ID, SECRETS, "the DingTalk app")
    store, key = tokens.Storage(rt), f"dingtalk:{app['app_key']}"
    with sdk_http.within(allowed) as deadline:
        token = store.get(key) or _fetch(app, store, key)
        body = {"agent_id": app["agent_id"], "userid_list": row["to"],
                "msg": {"msgtype": "markdown", "markdown": {"title": row["title"], "text": text_of(row)}}}

        def answered(reply: dict) -> None:
            code = reply.get("errcode", 0)
            if code in TOKEN_REJECTED:
                store.delete(key)
            if code not in (0, None):
                raise SendError(f"dingtalk refused: code {code}")
        post(f"{app.get('oapi_endpoint') or OAPI}/topapi/message/corpconversation/asyncsend_v2?access_token={token}",
             json.dumps(body, ensure_ascii=False).encode(), {"Content-Type": "application/json"}, answered, allowed,
             deadline)


def _fetch(app: dict, store: tokens.Storage, key: str) -> str:
    from alibabacloud_dingtalk.oauth2_1_0 import models
    from alibabacloud_dingtalk.oauth2_1_0.client import Client
    from alibabacloud_tea_openapi import models as openapi

    scheme, _, host = (app.get("api_endpoint") or API).partition("://")
    try:
        answer = Client(openapi.Config(endpoint=host, protocol=scheme)).get_access_token(
            models.GetAccessTokenRequest(app_key=app["app_key"], app_secret=app["app_secret"])).body
    except SendError:
        raise
    except Exception as exc:  # noqa: BLE001 - the SDK wraps a transport failure in its own error
        raise sdk_http.failure_of(exc, "dingtalk") from None
    store.set(key, answer.access_token, answer.expire_in)
    return answer.access_token

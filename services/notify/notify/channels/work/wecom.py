"""A WeCom application message (应用消息, `touser`) from the corp app, with wechatpy's WeCom client
(`wechatpy.enterprise`: gettoken, message/send, a rejected token fetched again once), its token
cached in tokens.py and its HTTP through notify's send."""
from __future__ import annotations

from .. import app_settings, sdk_http
from ..network import SendError
from ..sending import text_of
from . import tokens

ID = "wecom-app"
SECRETS = app_settings.SEALED[ID]
BASE = "https://qyapi.weixin.qq.com"


def _client(app: dict, storage):
    from wechatpy.enterprise import WeChatClient

    class Client(WeChatClient):
        API_BASE_URL = f"{app.get('endpoint') or BASE}/cgi-bin/"

        @property
        def access_token_key(self):  # wechatpy's own key holds part of the secret; this one does not
            return f"wecom:{app['corp_id']}:{app['agent_id']}"

        def fetch_access_token(self):  # wechatpy names the public host here; a private endpoint is kept
            return self._fetch_access_token(url=self.API_BASE_URL + "gettoken",
                                            params={"corpid": self.corp_id, "corpsecret": self.secret})
    client = Client(app["corp_id"], app["secret"], session=storage)
    sdk_http.mount(client._http)
    return client


def send(rt, row: dict, allowed: list[str]) -> None:
    app = app_settings.for_sending(rt, ID, SECRETS, "the WeCom app")
    with sdk_http.within(allowed):
        try:
            answer = _client(app, tokens.Storage(rt)).message.send_text(app["agent_id"], [row["to"]], text_of(row))
        except SendError:
            raise
        except Exception as exc:  # noqa: BLE001 - wechatpy raises its own error, carrying the errcode
            raise sdk_http.failure_of(exc, "wecom") from None
    if answer.get("invaliduser"):
        raise SendError("wecom: the userid is not in the app's visible range")

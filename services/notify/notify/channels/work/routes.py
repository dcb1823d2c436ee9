"""The admin's corp apps: DingTalk (工作通知) and WeCom (应用消息)."""
from ...api import admin as blp
from .. import app_settings
from . import dingtalk, wecom
from .schemas import DingtalkAppIn, DingtalkAppOut, WecomAppIn, WecomAppOut

app_settings.register(blp, "dingtalk-app", dingtalk.ID, dingtalk.SECRETS, DingtalkAppIn, DingtalkAppOut,
                      ("api_endpoint", "oapi_endpoint"))
app_settings.register(blp, "wecom-app", wecom.ID, wecom.SECRETS, WecomAppIn, WecomAppOut, ("endpoint",))

"""One text message through the configured provider's SDK: Aliyun's `alibabacloud-dysmsapi20170525`
(ACS3-HMAC-SHA256) or Tencent's `tencentcloud-sdk-python-sms` (TC3-HMAC-SHA256). Both only send
templates a provider has approved, so the setting names one template whose single variable
(`template_param`, default `content`) carries the whole rendered text.

The SDKs' HTTP goes through notify's checked, deadlined send (sdk_http); a provider's refusal shows
its code, never its text."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from .. import app_settings, sdk_http
from ..network import SendError

ID = "sms"
SECRETS = app_settings.SEALED[ID]
HOSTS = {"aliyun": "dysmsapi.aliyuncs.com", "tencent": "sms.tencentcloudapi.com"}
# The providers' codes, at send time or in a receipt, for a number that does not exist or is out of
# service: SMS to that contact stops (a setting's stop_codes replaces them).
STOP_CODES = ("isv.MOBILE_NUMBER_ILLEGAL", "MOBILE_NUMBER_ILLEGAL", "MOBILE_NOT_ON_SERVICE", "IS:0001", "MN:0001",
              "InvalidParameterValue.IncorrectPhoneNumber")


def config(rt) -> dict:
    return app_settings.for_sending(rt, ID, SECRETS, "SMS")


def endpoint(setting: dict) -> tuple[str, str]:
    """(scheme, host[:port]): the provider's own unless the setting overrides it (tests, private deployments)."""
    if setting.get("endpoint"):
        parts = urlsplit(setting["endpoint"])
        return parts.scheme, parts.netloc
    return "https", HOSTS[setting["provider"]]


def send(rt, setting: dict, mobile: str, text: str, out_id: str, allowed: list[str]) -> str:
    """Send `text` to `mobile`; the provider's message id (receipts name it)."""
    sender = _aliyun if setting["provider"] == "aliyun" else _tencent
    with sdk_http.within(allowed):
        try:
            return sender(setting, mobile, text, out_id)
        except SendError:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDK wraps a transport failure in its own error
            raise sdk_http.failure_of(exc, setting["provider"]) from None


def _aliyun(setting: dict, mobile: str, text: str, out_id: str) -> str:
    from alibabacloud_dysmsapi20170525 import models
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as openapi

    scheme, host = endpoint(setting)
    client = Client(openapi.Config(access_key_id=setting["access_key_id"],
                                   access_key_secret=setting["access_key_secret"], endpoint=host, protocol=scheme,
                                   region_id=setting.get("region") or "cn-hangzhou"))
    answer = client.send_sms(models.SendSmsRequest(
        phone_numbers=mobile, sign_name=setting["sign_name"], template_code=setting["template_code"],
        template_param=json.dumps({setting.get("template_param") or "content": text}, ensure_ascii=False),
        out_id=out_id)).body
    if answer.code != "OK":
        raise sdk_http.Refused("aliyun", answer.code)
    return answer.biz_id


def _tencent(setting: dict, mobile: str, text: str, out_id: str) -> str:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models, sms_client

    scheme, host = endpoint(setting)
    profile = HttpProfile(endpoint=host)
    profile.scheme = scheme
    client = sms_client.SmsClient(credential.Credential(setting["access_key_id"], setting["access_key_secret"]),
                                  setting.get("region") or "ap-guangzhou", ClientProfile(httpProfile=profile))
    sdk_http.mount(client.request.conn._session)
    request = models.SendSmsRequest()
    request.PhoneNumberSet = [mobile if mobile.startswith("+") else "+86" + mobile]
    request.SmsSdkAppId, request.SignName = setting["sdk_app_id"], setting["sign_name"]
    request.TemplateId, request.TemplateParamSet = setting["template_code"], [text]
    request.SessionContext = out_id
    [status] = client.SendSms(request).SendStatusSet
    if status.Code != "Ok":
        raise sdk_http.Refused("tencent", status.Code)
    return status.SerialNo


def config_or_none(rt) -> dict | None:
    try:
        return config(rt)
    except SendError:
        return None


def stop_codes(setting: dict) -> set[str]:
    return set(setting.get("stop_codes") or STOP_CODES)

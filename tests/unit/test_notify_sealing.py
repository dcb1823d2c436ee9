"""notify's own sealing key (issue 21, point 6): required outside dev and test, the URL an admin sees
masked, and a rotation that opens old values while sealing new ones with the new key. Pure."""
import pytest

from crm_common import sealed
from crm_common.settings import Settings, SettingsError
from notify.channels.masking import masked_url

JWT = "a-jwt-secret-shared-by-all-five-services-000"
KEY = "notify-own-sealing-key-0123456789abcdef"


def prod(service="notify", **extra):
    return Settings.from_env(service, {"CRM_ENV": "prod", "JWT_SECRET": JWT, **extra})


@pytest.mark.parametrize("value, message", [(None, "must be set"), ("", "must be set"), (JWT, "differ"),
                                            ("short", "32 bytes"), ("replace-with-a-random-key" * 2, "placeholder"),
                                            (f"{KEY},short", "32 bytes")])
def test_notify_needs_a_sealing_key_of_its_own_outside_dev_and_test(value, message):
    with pytest.raises(SettingsError, match=f"NOTIFY_SEALING_KEY.*{message}"):
        prod(**({} if value is None else {"NOTIFY_SEALING_KEY": value}))


def test_a_good_key_or_a_rotated_pair_is_taken_and_other_services_need_none():
    assert prod(NOTIFY_SEALING_KEY=KEY).value("NOTIFY_SEALING_KEY") == KEY
    assert prod(NOTIFY_SEALING_KEY=f"{KEY}-new, {KEY}").value("NOTIFY_SEALING_KEY")
    assert prod("customer").service == "customer"
    assert Settings.from_env("notify", {"CRM_ENV": "test"}).value("NOTIFY_SEALING_KEY") is None


def test_a_value_sealed_under_the_old_key_opens_after_a_rotation_and_only_under_its_key():
    url = b"https://qyapi.weixin.qq.com/?key=K"
    old = sealed.seal(url, "old-key", "notify", "robot-url", "R1")
    assert sealed.unseal_any(old, ["new-key", "old-key"], "notify", "robot-url", "R1") == url
    with pytest.raises(sealed.Tampered):
        sealed.unseal_any(old, ["new-key"], "notify", "robot-url", "R1")
    with pytest.raises(sealed.Tampered):  # another robot's context does not open it
        sealed.unseal_any(old, ["new-key", "old-key"], "notify", "robot-url", "R2")


WECOM, DING, FEISHU = ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "https://oapi.dingtalk.com/robot/send",
                       "https://open.feishu.cn/open-apis/bot/v2/hook/")


@pytest.mark.parametrize("url, shown", [
    (WECOM + "?key=693a91f6", WECOM + "?key=***"), (DING + "?access_token=abc&x=1", DING + "?access_token=***&x=1"),
    (FEISHU + "abc-123", FEISHU + "***"),
    ("https://hooks.example.cn/crm?team=sales", "https://hooks.example.cn/crm?team=sales"),
    ("https://user:pw@hooks.example.cn/h?api_key=1&team=sales",
     "https://***@hooks.example.cn/h?api_key=***&team=sales"),
    ("https://hooks.example.cn/h?X-Auth-Token=z", "https://hooks.example.cn/h?X-Auth-Token=***")])
def test_the_url_an_admin_sees_has_its_credentials_masked(url, shown):
    assert masked_url(url) == shown

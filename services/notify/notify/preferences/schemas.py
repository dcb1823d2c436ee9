"""What the preferences API reads and answers."""

import marshmallow as ma

from crm_common.kernel.zones import iana_zone

from ..reminders.rules import EXTRA_KINDS, KINDS
from .rules import CHANNELS

HHMM = ma.validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="HH:MM, 24-hour")


class QuietHours(ma.Schema):
    start = ma.fields.String(required=True, validate=HHMM)
    end = ma.fields.String(required=True, validate=HHMM)


def _channels(value):
    for kind, chosen in value.items():
        if kind != "default" and kind not in KINDS + EXTRA_KINDS:
            raise ma.ValidationError(f"unknown reminder kind {kind!r}")
        if not isinstance(chosen, list) or any(c not in CHANNELS for c in chosen):
            raise ma.ValidationError(f"{kind}: a list of {', '.join(CHANNELS)}")


class PreferencesIn(ma.Schema):
    channels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                              validate=_channels)
    email = ma.fields.Email(allow_none=True)
    language = ma.fields.String(validate=ma.validate.OneOf(["zh", "en"]))
    timezone = ma.fields.String(validate=iana_zone)
    quiet_hours = ma.fields.Nested(QuietHours, allow_none=True)
    dingtalk_userid = ma.fields.String(allow_none=True, validate=ma.validate.Length(min=1, max=64),
                                       metadata={"description": "Your userid in the company's DingTalk (dingtalk_work)"})
    wecom_userid = ma.fields.String(allow_none=True, validate=ma.validate.Length(min=1, max=64),
                                    metadata={"description": "Your userid in the company's WeCom (wecom_app)"})


class PreferencesOut(PreferencesIn):
    user_id = ma.fields.String()

"""What the SMS settings and the providers' callbacks read and answer (secrets are read, never answered)."""
import marshmallow as ma

from .providers import HOSTS


class SmsIn(ma.Schema):
    """Aliyun SMS or Tencent Cloud SMS, sending to contacts."""
    provider = ma.fields.String(required=True, validate=ma.validate.OneOf(sorted(HOSTS)))
    access_key_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    access_key_secret = ma.fields.String(load_only=True, validate=ma.validate.Length(min=1, max=500),
                                         metadata={"description": "Needed on the first PUT; left out, the stored one stays"})
    sign_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    template_code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100),
                                     metadata={"description": "An approved template with one variable, the text"})
    template_param = ma.fields.String(load_default="content", validate=ma.validate.Regexp(r"^\w{1,50}$"),
                                      metadata={"description": "That variable's name (Aliyun)"})
    sdk_app_id = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=100),
                                  metadata={"description": "Tencent's SmsSdkAppId (required for tencent)"})
    region = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=50))
    endpoint = ma.fields.Url(allow_none=True, require_tld=False, schemes={"http", "https"},
                             metadata={"description": "Another endpoint than the provider's (a private deployment)"})
    callback_token = ma.fields.String(load_only=True, validate=ma.validate.Length(min=16, max=200),
                                      metadata={"description": "The token receipts must carry: "
                                                               "POST /v1/sms/callback/<provider>?token=..."})
    stop_codes = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=100)),
                                validate=ma.validate.Length(max=100),
                                metadata={"description": "Receipt codes that stop SMS to the number "
                                                         "(default: the providers' invalid-number codes)"})

    @ma.validates_schema
    def _tencent_app(self, data, **kwargs):
        if data.get("provider") == "tencent" and not data.get("sdk_app_id"):
            raise ma.ValidationError("required for tencent", "sdk_app_id")


class SmsOut(SmsIn):
    has_access_key_secret = ma.fields.Boolean()
    has_callback_token = ma.fields.Boolean()
    version = ma.fields.Integer()


class CallbackAnswer(ma.Schema):
    """What each provider expects back: Aliyun `{"code": 0, "msg"}`, Tencent `{"result": 0, "errmsg"}`."""
    code = ma.fields.Integer()
    msg = ma.fields.String()
    result = ma.fields.Integer()
    errmsg = ma.fields.String()
    applied = ma.fields.Integer(metadata={"description": "Receipts and replies that changed something"})

"""What the corp apps' settings read and answer (secrets are read, never answered)."""
import marshmallow as ma

URL = {"require_tld": False, "schemes": {"http", "https"}, "allow_none": True}


class DingtalkAppIn(ma.Schema):
    """The DingTalk corp app that sends work notifications (工作通知) to reps."""
    app_key = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                               metadata={"description": "The corp app's AppKey (Client ID)"})
    app_secret = ma.fields.String(load_only=True, validate=ma.validate.Length(min=1, max=500),
                                  metadata={"description": "Needed on the first PUT; left out, the stored one stays"})
    agent_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    api_endpoint = ma.fields.Url(**URL, metadata={"description": "Instead of https://api.dingtalk.com (tokens)"})
    oapi_endpoint = ma.fields.Url(**URL, metadata={"description": "Instead of https://oapi.dingtalk.com (messages)"})


class DingtalkAppOut(DingtalkAppIn):
    has_app_secret = ma.fields.Boolean()
    version = ma.fields.Integer()


class WecomAppIn(ma.Schema):
    """The WeCom app that sends application messages (应用消息) to reps."""
    corp_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    secret = ma.fields.String(load_only=True, validate=ma.validate.Length(min=1, max=500),
                              metadata={"description": "The app's Secret; needed on the first PUT"})
    agent_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    endpoint = ma.fields.Url(**URL, metadata={"description": "Instead of https://qyapi.weixin.qq.com"})


class WecomAppOut(WecomAppIn):
    has_secret = ma.fields.Boolean()
    version = ma.fields.Integer()

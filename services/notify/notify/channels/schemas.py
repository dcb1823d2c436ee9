"""What the SMTP and robot API reads and answers (secrets are read, never answered)."""
import marshmallow as ma

from .robots import KINDS, shown_url


class SmtpIn(ma.Schema):
    host = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    port = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=65535))
    from_ = ma.fields.Email(required=True, data_key="from")
    username = ma.fields.String(allow_none=True)
    password = ma.fields.String(allow_none=True, load_only=True)
    starttls = ma.fields.Boolean(load_default=False)


class SmtpOut(SmtpIn):
    has_password = ma.fields.Boolean()


class RobotIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    url = ma.fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    secret = ma.fields.String(allow_none=True, load_only=True, validate=ma.validate.Length(max=500))
    user_ids = ma.fields.List(ma.fields.String(), load_default=list)
    department_ids = ma.fields.List(ma.fields.String(), load_default=list)


class RobotOut(RobotIn):
    id = ma.fields.String(attribute="_id")
    url = ma.fields.Function(shown_url)  # its credential query parameters masked
    has_secret = ma.fields.Function(lambda r: bool(r.get("secret")))


class OutboundIn(ma.Schema):
    allowed_private_hosts = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=255)),
                                           required=True, validate=ma.validate.Length(max=100))


class OutboundOut(OutboundIn):
    pass

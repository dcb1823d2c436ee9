"""What the template API reads and answers."""
import marshmallow as ma

LANGUAGES = ("zh", "en")


class TemplateIn(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    language = ma.fields.String(required=True, validate=ma.validate.OneOf(LANGUAGES))
    subject = ma.fields.String(validate=ma.validate.Length(max=300), metadata={"description": "email only"})
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20000))
    format = ma.fields.String(validate=ma.validate.OneOf(("html", "text")),
                              metadata={"description": "default: html with a subject (email), else text (SMS)"})


class TemplateOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    kind = ma.fields.String()
    language = ma.fields.String()
    subject = ma.fields.String(allow_none=True)
    body = ma.fields.String()
    format = ma.fields.String()
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()


class PreviewIn(ma.Schema):
    contact_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    customer_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    opportunity_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))


class PreviewOut(ma.Schema):
    template_id = ma.fields.String()
    contact_id = ma.fields.String()
    subject = ma.fields.String(allow_none=True)
    body = ma.fields.String()

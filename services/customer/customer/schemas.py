"""Request and response schemas of the customer API."""
import marshmallow as ma

from crm_common.paging import PageArgs, page_schema


class TokenIn(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200), load_only=True)


class TokenOut(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()


class ContactOut(ma.Schema):
    name = ma.fields.String()
    phones = ma.fields.List(ma.fields.String())
    emails = ma.fields.List(ma.fields.String())
    wechat_ids = ma.fields.List(ma.fields.String())


class CustomerOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    owner_id = ma.fields.String()
    department_path = ma.fields.List(ma.fields.String())
    stage = ma.fields.String()
    level = ma.fields.String()
    source_lead_id = ma.fields.String(allow_none=True)
    contacts = ma.fields.List(ma.fields.Nested(ContactOut))
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class CustomerQuery(PageArgs):
    source_lead_id = ma.fields.String()
    owner_id = ma.fields.String()
    stage = ma.fields.String()


CustomerPage = page_schema(CustomerOut, "CustomerPage")

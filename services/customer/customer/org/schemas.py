"""Request and response schemas of login and the organisation API."""
import marshmallow as ma

from crm_common.auth import ROLES
from crm_common.kernel.holding import DEFAULT_HOLDING_LIMIT
from crm_common.paging import PageArgs, page_schema

NAME = ma.validate.Length(min=1, max=100)
ID = ma.validate.Length(min=1, max=64)  # ids are 24 hex characters; room for imported ones
OPTIONAL_ID = dict(allow_none=True, load_default=None, validate=ID)
MAX_TEAM_MEMBERS = 200


class TokenIn(ma.Schema):
    username = ma.fields.String(required=True, validate=NAME)
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200), load_only=True)


class TokenOut(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()


class DepartmentIn(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    parent_id = ma.fields.String(**OPTIONAL_ID)


class DepartmentPatch(ma.Schema):
    name = ma.fields.String(validate=NAME)
    active = ma.fields.Boolean()


class DepartmentOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    parent_id = ma.fields.String(allow_none=True)
    path = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()


class UserIn(ma.Schema):
    username = ma.fields.String(required=True, validate=[NAME, ma.validate.Regexp(r"^\S+$", error="no spaces")])
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=8, max=200))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    department_id = ma.fields.String(**OPTIONAL_ID)
    supervisor_id = ma.fields.String(**OPTIONAL_ID)
    holding_limit = ma.fields.Integer(load_default=DEFAULT_HOLDING_LIMIT, validate=ma.validate.Range(min=0, max=100000))


class UserPatch(ma.Schema):
    password = ma.fields.String(load_only=True, validate=ma.validate.Length(min=8, max=200))
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    department_id = ma.fields.String(allow_none=True, validate=ID)
    supervisor_id = ma.fields.String(allow_none=True, validate=ID)
    holding_limit = ma.fields.Integer(validate=ma.validate.Range(min=0, max=100000))


class UserOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    username = ma.fields.String()
    role = ma.fields.String()
    department_id = ma.fields.String(allow_none=True)
    department_path = ma.fields.List(ma.fields.String())
    supervisor_id = ma.fields.String(allow_none=True)
    holding_limit = ma.fields.Integer()
    active = ma.fields.Boolean()
    team_ids = ma.fields.List(ma.fields.String())


class UserQuery(PageArgs):
    department_id = ma.fields.String(validate=ID)
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    active = ma.fields.Boolean()


class MemberSchema(ma.Schema):
    user_id = ma.fields.String(required=True, validate=ID)
    weight = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100))


class TeamIn(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    department_id = ma.fields.String(**OPTIONAL_ID)
    members = ma.fields.List(ma.fields.Nested(MemberSchema), load_default=list,
                             validate=ma.validate.Length(max=MAX_TEAM_MEMBERS))


class TeamPatch(ma.Schema):
    name = ma.fields.String(validate=NAME)
    department_id = ma.fields.String(allow_none=True, validate=ID)
    members = ma.fields.List(ma.fields.Nested(MemberSchema), validate=ma.validate.Length(max=MAX_TEAM_MEMBERS))
    active = ma.fields.Boolean()


class TeamOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    name = ma.fields.String()
    department_id = ma.fields.String(allow_none=True)
    members = ma.fields.List(ma.fields.Nested(MemberSchema))
    active = ma.fields.Boolean()


UserPage = page_schema(UserOut, "UserPage")
DepartmentPage = page_schema(DepartmentOut, "DepartmentPage")
TeamPage = page_schema(TeamOut, "TeamPage")

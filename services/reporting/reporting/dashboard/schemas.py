"""The shapes of the dashboard's login and options, for the OpenAPI."""
import marshmallow as ma

F = ma.fields


class Me(ma.Schema):
    user_id, username, role = F.String(), F.String(), F.String()
    department_path = F.List(F.String())


class DepartmentOption(ma.Schema):
    id, name, path = F.String(), F.String(), F.List(F.String())


class RepOption(ma.Schema):
    user_id, username = F.String(), F.String()


class Options(ma.Schema):
    me = F.Nested(Me)
    departments = F.List(F.Nested(DepartmentOption))
    reps = F.List(F.Nested(RepOption))


class LoginIn(ma.Schema):
    username, password = F.String(required=True), F.String(required=True)


class LoginOut(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # the customer service's token answer, passed on
    access_token = F.String()

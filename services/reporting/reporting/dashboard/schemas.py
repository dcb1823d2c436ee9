"""The shapes of the dashboard's login, options and drill-down lists, for the OpenAPI."""
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


class OpportunityFilters(ma.Schema):
    """The filters of the customer service's GET /v1/opportunities a report row names; it checks them."""
    class Meta:
        unknown = ma.EXCLUDE
    customer_id, owner_id, department_id, stage, status = (F.String() for _ in range(5))
    close_from, close_to, closed_after, closed_before = (F.String() for _ in range(4))
    limit, cursor = F.String(), F.String()


class OpportunityPage(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # the customer service's page, passed on
    items = F.List(F.Dict(), metadata={"description": "the opportunities, as GET /v1/opportunities lists them"})
    next_cursor = F.String(allow_none=True)

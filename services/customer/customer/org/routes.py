"""The organisation API: login, departments, users, teams. Changes are admin-only."""
from __future__ import annotations

from flask import g, request

from crm_common.idempotency import idempotent
from crm_common.auth import issue_token, require_user
from crm_common.kernel.refusals import NotFound, Unauthenticated
from crm_common.paging import PageArgs, page
from crm_common.queries import both, find_one
from crm_common.web import Blueprint, runtime

from ..customers import ownership
from . import departments, directory, login, teams, users
from .schemas import (DepartmentIn, DepartmentOut, DepartmentPage, DepartmentPatch, TeamIn, TeamOut, TeamPage,
                          TeamPatch, TokenIn, TokenOut, UserIn, UserOut, UserPage, UserPatch, UserQuery)

auth_blp = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Log in")
org_blp = Blueprint("org", __name__, url_prefix="/v1", description="Departments, users and teams")


@auth_blp.route("/token", methods=["POST"])
@auth_blp.arguments(TokenIn)
@auth_blp.response(200, TokenOut)
def token(body):
    """Limited per username and per client address (429 with Retry-After); a burst of password
    checks beyond what the service does at once gets 503 with Retry-After."""
    rt = runtime()
    login.throttle(rt, body["username"], request.remote_addr)
    principal = users.authenticate(rt, body["username"], body["password"])
    if principal is None:
        raise Unauthenticated("unknown user or wrong password")
    ttl = rt.settings.jwt_ttl_seconds
    return {"access_token": issue_token(rt.settings.jwt_secret, principal, ttl), "token_type": "Bearer",
            "expires_in": ttl}


@org_blp.route("/departments", methods=["POST"])
@require_user("admin")
@idempotent
@org_blp.arguments(DepartmentIn)
@org_blp.response(201, DepartmentOut)
def create_department(body):
    rt = runtime()
    return rt.transaction(lambda s: departments.create(rt, s, name=body["name"], parent_id=body["parent_id"],
                                                        by=g.principal.user_id))


@org_blp.route("/departments", methods=["GET"])
@require_user()
@org_blp.arguments(PageArgs, location="query")
@org_blp.response(200, DepartmentPage)
def list_departments(args):
    """A rep lists their own department and those below it; a manager or an admin every one."""
    return page(runtime().db.departments, directory.departments_filter(g.principal), limit=args["limit"],
                cursor=args["cursor"])


@org_blp.route("/departments/<department_id>", methods=["PATCH"])
@require_user("admin")
@org_blp.arguments(DepartmentPatch)
@org_blp.response(200, DepartmentOut)
def update_department(body, department_id):
    rt = runtime()
    return rt.transaction(lambda s: departments.update(rt, s, department_id, body))


@org_blp.route("/users", methods=["POST"])
@require_user("admin")
@idempotent
@org_blp.arguments(UserIn)
@org_blp.response(201, UserOut)
def create_user(body):
    rt = runtime()
    return _user_out(rt.transaction(lambda s: _without_hash(users.create_user(rt, s, **body))))


@org_blp.route("/users", methods=["GET"])
@require_user()
@org_blp.arguments(UserQuery, location="query")
@org_blp.response(200, UserPage)
def list_users(args):
    """A rep lists the users of their own department and those below it; a manager or an admin everyone."""
    query = {k: args[k] for k in ("role", "active") if k in args}
    if "department_id" in args:
        query["department_path"] = args["department_id"]  # the department and every one below it
    result = page(runtime().db.users, both(query, directory.users_filter(g.principal)), limit=args["limit"],
                  cursor=args["cursor"])
    return {**result, "items": [_user_out(u) for u in result["items"]]}


@org_blp.route("/users/<user_id>", methods=["GET"])
@require_user()
@org_blp.response(200, UserOut)
def get_user(user_id):
    """Someone outside a rep's own subtree is not found, as a user who does not exist."""
    user = find_one(runtime().db.users, both({"_id": user_id}, directory.users_filter(g.principal)))
    if user is None:
        raise NotFound("no such user")
    return _user_out(user)


@org_blp.route("/users/<user_id>", methods=["PATCH"])
@require_user("admin")
@org_blp.arguments(UserPatch)
@org_blp.response(200, UserOut)
def update_user(body, user_id):
    return _change_user(user_id, body)


@org_blp.route("/users/<user_id>/deactivate", methods=["POST"])
@require_user("admin")
@idempotent
@org_blp.response(200, UserOut)
def deactivate_user(user_id):
    """A leaver cannot log in any more; their customers stay theirs until reassigned or reclaimed."""
    return _change_user(user_id, {"active": False})


@org_blp.route("/users/<user_id>/activate", methods=["POST"])
@require_user("admin")
@idempotent
@org_blp.response(200, UserOut)
def activate_user(user_id):
    return _change_user(user_id, {"active": True})


@org_blp.route("/teams", methods=["POST"])
@require_user("admin")
@idempotent
@org_blp.arguments(TeamIn)
@org_blp.response(201, TeamOut)
def create_team(body):
    rt = runtime()
    return rt.transaction(lambda s: teams.create(rt, s, **body))


@org_blp.route("/teams", methods=["GET"])
@require_user()
@org_blp.arguments(PageArgs, location="query")
@org_blp.response(200, TeamPage)
def list_teams(args):
    """A rep lists the teams of their own subtree and those they are in; a manager or an admin every one."""
    rt, principal = runtime(), g.principal
    subtree = departments.subtree_ids(rt, principal.department_path[-1]) \
        if principal.role == "rep" and principal.department_path else []
    return page(rt.db.teams, directory.teams_filter(principal, subtree), limit=args["limit"], cursor=args["cursor"])


@org_blp.route("/teams/<team_id>", methods=["PATCH"])
@require_user("admin")
@org_blp.arguments(TeamPatch)
@org_blp.response(200, TeamOut)
def update_team(body, team_id):
    rt = runtime()
    return rt.transaction(lambda s: teams.update(rt, s, team_id, body))


def _change_user(user_id: str, changes: dict) -> dict:
    rt = runtime()

    def work(session):
        before, after = users.update_user(rt, session, user_id, dict(changes))
        if before.get("department_path") != after.get("department_path"):
            ownership.follow_owner_department(rt, session, after, by=g.principal.user_id)
        return _without_hash(after)
    return _user_out(rt.transaction(work))


def _without_hash(user: dict) -> dict:
    """The user as answered: what a transaction returns is kept for a retried request, never a password hash."""
    return {k: v for k, v in user.items() if k != "password_hash"}


def _user_out(user: dict) -> dict:
    return {**user, "team_ids": users.event_data(runtime(), None, user)["team_ids"]}

"""Sales teams: members with round-robin weights (lead-intake assigns leads inside a team).

A member's team list is part of `crm.user.updated`, so a membership change
publishes the team and every user who joined or left it.
"""
from __future__ import annotations

from crm_common.kernel.refusals import Invalid, NotFound
from crm_common.paging import new_id

from . import departments, users


def create(rt, session, *, name: str, department_id: str | None, members: list[dict]) -> dict:
    departments.path_of(rt, department_id, session)  # the department must exist
    _check_members(rt, session, members)
    now = rt.clock.now()
    team = {"_id": new_id(), "name": name, "department_id": department_id, "members": members, "active": True,
            "created_at": now, "updated_at": now}
    rt.db.teams.insert_one(team, session=session)
    rt.publish(session, rt.event("crm.team.created", team["_id"], event_data(team)))
    _publish_members(rt, session, {m["user_id"] for m in members})
    return team


def update(rt, session, team_id: str, changes: dict) -> dict:
    team = rt.db.teams.find_one({"_id": team_id}, session=session)
    if team is None:
        raise NotFound("no such team")
    if "department_id" in changes:
        departments.path_of(rt, changes["department_id"], session)
    if "members" in changes:
        _check_members(rt, session, changes["members"])
    touched = {m["user_id"] for m in team["members"]} ^ {m["user_id"] for m in changes.get("members", team["members"])}
    team.update(changes, updated_at=rt.clock.now())
    rt.db.teams.replace_one({"_id": team_id}, team, session=session)
    rt.publish(session, rt.event("crm.team.updated", team_id, event_data(team)))
    _publish_members(rt, session, touched)
    return team


def event_data(team: dict) -> dict:
    return {"team_id": team["_id"], "name": team["name"], "department_id": team.get("department_id"),
            "members": [{"user_id": m["user_id"], "weight": m["weight"]} for m in team["members"]],
            "active": team.get("active", True)}


def _check_members(rt, session, members: list[dict]) -> None:
    ids = [m["user_id"] for m in members]
    if len(set(ids)) != len(ids):
        raise Invalid("a user is listed twice", errors=[{"field": "members", "message": "duplicate user_id"}])
    known = {u["_id"] for u in rt.db.users.find({"_id": {"$in": ids}}, {"_id": 1}, session=session)}
    for index, user_id in enumerate(ids):
        if user_id not in known:
            raise Invalid("no such user", errors=[{"field": f"members.{index}.user_id", "message": "unknown"}])


def _publish_members(rt, session, user_ids: set) -> None:
    for user in rt.db.users.find({"_id": {"$in": sorted(user_ids)}}, session=session):
        users.publish_updated(rt, session, user)

"""The reps and teams assignment chooses from, from the organisation's events (crm.user.*, crm.team.*),
and how many open leads and customers each rep holds now."""
from __future__ import annotations

from crm_common.kernel.holding import DEFAULT_HOLDING_LIMIT


def user_changed(rt, session, user: dict) -> None:
    rt.db.reps.update_one({"_id": user["user_id"]}, {"$set": {
        "username": user.get("username"), "role": user["role"], "active": user.get("active", True),
        "department_path": user.get("department_path", []), "team_ids": user.get("team_ids", []),
        "holding_limit": user.get("holding_limit", DEFAULT_HOLDING_LIMIT)}}, upsert=True, session=session)


def team_changed(rt, session, team: dict) -> None:
    rt.db.teams.update_one({"_id": team["team_id"]}, {"$set": {
        "name": team.get("name"), "members": team.get("members", []), "active": team.get("active", True)}},
        upsert=True, session=session)


def holding(db, user_ids: list[str], session=None) -> dict:
    """How many open leads and customers each rep holds now."""
    counts = dict.fromkeys(user_ids, 0)
    for collection, query in ((db.leads, {"status": {"$in": ["assigned", "contacted"]}}), (db.customers, {})):
        for row in collection.aggregate([{"$match": {**query, "owner_id": {"$in": user_ids}}},
                                         {"$group": {"_id": "$owner_id", "n": {"$sum": 1}}}], session=session):
            counts[row["_id"]] += row["n"]
    return counts

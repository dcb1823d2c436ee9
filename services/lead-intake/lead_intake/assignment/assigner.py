"""Automatic assignment of the new leads of one transaction (DOMAIN §1): the teams and reps read once,
the choice made by the pure rules (choice.py), the round-robin state written with the leads."""
from __future__ import annotations

from pymongo import UpdateOne

from ..intake import writes
from . import choice
from .reps import holding


class Assigner:
    """Automatic assignment for the leads of one transaction, each team's state read once.

    Rules choose the team; a smooth weighted round robin picks the rep, skipping inactive reps
    and reps at their holding limit, and counting the leads this transaction gave them already.
    Writing each team's state in the same transaction serialises concurrent assignments in it.
    """

    def __init__(self, rt, session, config: dict):
        self.rt, self.session, self.config = rt, session, config
        self.teams: dict[str, dict | None] = {}
        self.holding: dict[str, int] = {}

    def pick(self, lead: dict) -> tuple[str, list, str] | None:
        """(owner, department path, team) for a new lead, or None: it stays unassigned."""
        team_id = choice.choose_team(lead, self.config["rules"], self.config["default_team_id"])
        team = self._team(team_id) if team_id else None
        if team is None:
            return None
        owner, state = choice.pick_rep(team["members"], team["reps"], self.holding, team["state"])
        if owner is None:
            return None
        team["state"], team["changed"] = state, True
        self.holding[owner] += 1
        return owner, team["reps"][owner].get("department_path", []), team_id

    def _team(self, team_id: str) -> dict | None:
        if team_id not in self.teams:
            db, session = self.rt.db, self.session
            team = db.teams.find_one({"_id": team_id, "active": True}, session=session)
            if not team or not team.get("members"):
                self.teams[team_id] = None
                return None
            user_ids = [m["user_id"] for m in team["members"]]
            reps = {r["_id"]: r for r in db.reps.find({"_id": {"$in": user_ids}}, session=session)}
            unknown = [u for u in user_ids if u not in self.holding]
            if unknown:
                self.holding.update(holding(db, unknown, session))
            state = (db.round_robin.find_one({"_id": team_id}, session=session) or {}).get("current", {})
            self.teams[team_id] = {"members": team["members"], "reps": reps, "state": state, "changed": False}
        return self.teams[team_id]

    def writes(self) -> list[tuple[str, object]]:
        return [("round_robin", UpdateOne({"_id": team_id}, {"$set": {"current": team["state"]}}, upsert=True,
                                          namespace=writes.namespace(self.rt.db, "round_robin")))
                for team_id, team in self.teams.items() if team and team["changed"]]

"""A rule the automation service paused because its runs kept failing (crm.rule.deactivated, reason
`failing`): every admin hears of it, once per pause, since nobody else would notice it stopped."""
from __future__ import annotations

from ..reminders import due


def rule_deactivated(rt, session, data: dict) -> None:
    if data["reason"] != "failing":
        return  # an admin switched it off: they know
    admins = [u["_id"] for u in rt.db.users.find({"role": "admin", "active": {"$ne": False}}, {"_id": 1},
                                                 session=session).sort("_id", 1)]
    for admin in admins:
        due.raise_now(rt, session, {
            "_id": f"rule_paused:{data['rule_id']}:{data['deactivated_at']}:{admin}", "kind": "rule_paused",
            "to": "user", "user_id": admin, "data": {"rule_name": data.get("name") or data["rule_id"],
                                                     "rule_id": data["rule_id"]}})

"""The events of a lead's moves (crm.lead.assigned, contacted, disqualified, converted)."""
from __future__ import annotations

from datetime import timedelta

RESPOND_WITHIN = timedelta(hours=24)  # assignment sends the rep a "respond within 24 h" reminder (DOMAIN §1)
# What the customer keeps of a lead beyond its name and contact methods: the contact's title and
# birthday (notify's birthday reminders), where it is, and the submitter's note.
CARRIED_ON_CONVERSION = ("title", "birthday", "province", "note")


def assigned(rt, lead_id: str, owner_id: str, team_id, by: str, now) -> dict:
    return rt.event("crm.lead.assigned", lead_id, {
        "lead_id": lead_id, "owner_id": owner_id, "team_id": team_id, "by": by, "assigned_at": now.isoformat(),
        "respond_by": (now + RESPOND_WITHIN).isoformat()})


def of_move(rt, action: str, lead: dict, changes: dict, actor) -> dict:
    """The event of a move `lead` (as it was) made, setting `changes` (leads/states.py)."""
    lead_id = lead["_id"]
    if action in ("assign", "claim"):
        return assigned(rt, lead_id, changes["owner_id"], changes["team_id"], actor.user_id, changes["assigned_at"])
    if action == "contact":  # subscribers see the response time end
        assigned_at = lead.get("assigned_at")
        return rt.event("crm.lead.contacted", lead_id, {
            "lead_id": lead_id, "owner_id": lead.get("owner_id"), "by": actor.user_id,
            "assigned_at": assigned_at.isoformat() if assigned_at else None,
            "contacted_at": changes["contacted_at"].isoformat()})
    if action == "disqualify":
        return rt.event("crm.lead.disqualified", lead_id, {
            "lead_id": lead_id, "reason": changes["disqualify_reason"], "note": changes["disqualify_note"],
            "by": actor.user_id, "disqualified_at": changes["updated_at"].isoformat()})
    if action == "convert":
        return rt.event("crm.lead.converted", lead_id, {
            "lead_id": lead_id, "converted_by": actor.user_id, "owner_id": changes["owner_id"], "name": lead["name"],
            "company": lead.get("company"), "phones": lead["phones"], "emails": lead["emails"],
            "wechat_ids": lead.get("wechat_ids", []), "city": lead.get("city"), "industry": lead.get("industry"),
            **{k: lead[k] for k in CARRIED_ON_CONVERSION if lead.get(k)},
            "converted_at": changes["converted_at"].isoformat()})
    raise ValueError(f"no event for the move {action!r}")

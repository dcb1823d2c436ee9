"""Automatic assignment (自动分配, DOMAIN §1), pure.

Rules choose a team from the lead's region, industry and channel; inside the team a
smooth weighted round robin picks a rep, skipping inactive reps and reps at their
holding limit. The round-robin state is stored per team by the caller.
"""
from __future__ import annotations

from crm_common.kernel.holding import may_take_one_more

from ..dedup.companies import city_of


def choose_team(lead: dict, rules: list[dict], default_team_id: str | None = None) -> str | None:
    """The first rule whose every given condition matches; each condition lists accepted values.
    Places compare folded, as de-duplication compares them: `北京`, `北京市` and `Beijing` are one."""
    facts = {"region": {city_of(lead.get("province")), city_of(lead.get("city"))} - {None},
             "industry": {lead.get("industry")}, "channel": {lead.get("channel_id"), lead.get("channel")}}
    for rule in rules:
        conditions = {k: set(rule.get(k) or []) for k in ("region", "industry", "channel")}
        conditions["region"] = {city_of(place) for place in conditions["region"]} - {None}
        if all(not accepted or accepted & facts[k] for k, accepted in conditions.items()):
            return rule["team_id"]
    return default_team_id


def pick_rep(members: list[dict], reps: dict, holding: dict, state: dict) -> tuple[str | None, dict]:
    """Smooth weighted round robin over the eligible members.

    members: [{"user_id", "weight"}]; reps: user_id -> {"active", "holding_limit"};
    holding: user_id -> how many they hold now; state: user_id -> current weight.
    Returns (the chosen user id or None, the new state).
    """
    eligible = [m for m in members if _eligible(reps.get(m["user_id"]), holding.get(m["user_id"], 0))]
    if not eligible:
        return None, state
    current = {m["user_id"]: state.get(m["user_id"], 0) + m["weight"] for m in eligible}
    chosen = max(eligible, key=lambda m: (current[m["user_id"]], -eligible.index(m)))["user_id"]
    current[chosen] -= sum(m["weight"] for m in eligible)
    return chosen, {**state, **current}


def _eligible(rep: dict | None, held: int) -> bool:
    return bool(rep and rep.get("active") and rep.get("role", "rep") in ("rep", "manager")
                and may_take_one_more(held, rep.get("holding_limit")))

"""Preview a rule change: what the proposed rules would do to a pool's owned customers now, moving nothing."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from crm_common.kernel.refusals import Forbidden
from crm_common.kernel.scope import customer_scope

from ..pools import membership, pools, rules
from ..tracking.entries import OWNED
from . import schedule

LIST_LIMIT = 500  # each list is cut here; the counts per rep cover every customer


def preview(rt, pool_id: str, proposed: dict, principal) -> dict:
    pool = pools.get(rt, pool_id)
    administers = membership.may_administer(principal, pool)
    # a manager previews the pools their department uses; everyone, a pool's admins too, sees only the
    # customers in their own data scope: administering a pool is no window on other departments' customers
    if not administers and (principal.role != "manager" or not membership.is_member(
            pool, rt.db.users.find_one({"_id": principal.user_id}))):
        raise Forbidden("only an admin, this pool's admins or a manager who is its member preview its rules")
    scope = customer_scope(principal)
    the_rules = rules.complete({**pool.get("rules", {}), **proposed})
    now = rt.clock.now()
    owned = rt.db.pool_entries.find({"pool_id": pool_id, "status": OWNED, **scope})
    return {"pool_id": pool_id, "rules": the_rules, "now": now, **forecast(owned, the_rules, now)}


def forecast(owned, the_rules: dict, now: datetime) -> dict:
    """What `the_rules` would do to these owned entries at `now`: those due now, when the others fall
    due (earliest first), how many are exempt, and the counts per owner. Pure: no I/O."""
    reclaim, later, exempt = [], [], 0
    per_rep = {"reclaim": Counter(), "later": Counter()}
    for entry in owned:
        planned = schedule.schedule(entry, the_rules)
        if planned.reclaim_due_at is None:
            exempt += 1
            continue
        row = {"customer_id": entry["_id"], "owner_id": entry["owner_id"], "rule": planned.rule,
               "reclaim_due_at": planned.reclaim_due_at}
        which = "reclaim" if planned.reclaim_due_at <= now else "later"
        (reclaim if which == "reclaim" else later).append(row)
        per_rep[which][entry["owner_id"]] += 1
    later.sort(key=lambda r: r["reclaim_due_at"])
    reps = sorted(set(per_rep["reclaim"]) | set(per_rep["later"]))
    return {"exempt": exempt, "would_reclaim_count": len(reclaim), "would_reclaim": reclaim[:LIST_LIMIT],
            "later_count": len(later), "later": later[:LIST_LIMIT],
            "per_rep": [{"user_id": r, "would_reclaim": per_rep["reclaim"][r], "later": per_rep["later"][r]}
                        for r in reps]}

"""Pool (DOMAIN §5): customers reclaimed, claimed, returned and assigned, per pool and per rep. Only
movements count, one per movement id; whose a movement is, is the read model's rule (model/movement.py)."""
from __future__ import annotations

from collections import defaultdict

KINDS = ("reclaimed", "claimed", "returned", "assigned")


def pool(found: list[dict], *, names: dict, pool_names: dict) -> dict:
    """From the `pool` tally rows by (kind, pool) and owner, the reps' usernames and the pools' names."""
    pools: dict = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    reps: dict = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    for row in found:
        kind, pool_id = row["k"]
        pools[pool_id].setdefault(kind, 0)
        pools[pool_id][kind] += row["n"]
        if row.get("owner_id"):
            reps[row["owner_id"]].setdefault(kind, 0)
            reps[row["owner_id"]][kind] += row["n"]
    return {"pools": [{"pool_id": p, "name": pool_names.get(p), **c}
                      for p, c in sorted(pools.items(), key=lambda kv: str(kv[0]))],
            "reps": [{"user_id": u, "username": names.get(u, u), **c} for u, c in sorted(reps.items())]}

"""Which pool takes a department's customers: the one naming the nearest department. Pure: no I/O."""
from __future__ import annotations


def nearest_pool(department_path: list, named: list[dict]) -> str | None:
    """The id of the pool among `named` whose source departments hold the deepest department of
    `department_path` (the lower id on a tie), or None when no pool names any of them."""
    path = list(department_path or [])
    best, depth = None, -1
    for pool in named:
        deepest = max((path.index(d) for d in pool.get("source_department_ids", []) if d in path), default=-1)
        if deepest > depth or (deepest == depth and deepest >= 0 and pool["_id"] < best):
            best, depth = pool["_id"], deepest
    return best

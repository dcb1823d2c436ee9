"""The holding limit (DOMAIN §3): how many customers one rep may hold at once.

A rep's own limit is set by an admin (200 unless changed); a pool may set one of
its own for claims and assignments out of it, and the lower of the two applies.
The customer service (manual assignment), lead intake (lead routing) and the pool
(claims) all decide with this one rule.
"""
from __future__ import annotations

DEFAULT_HOLDING_LIMIT = 200


def limit_of(own: int | None = None, pool: int | None = None) -> int:
    """The limit that applies: the rep's own, lowered by the pool's when the move is out of a pool.
    Without a pool, a rep whose limit is not known yet holds the default; out of a pool, the pool's."""
    if pool is None:
        return DEFAULT_HOLDING_LIMIT if own is None else own
    return pool if own is None else min(own, pool)


def may_take_one_more(held: int, own: int | None = None, pool: int | None = None) -> bool:
    return held < limit_of(own, pool)

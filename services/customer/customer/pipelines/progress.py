"""The recorded moves of a customer's deals through their pipelines, with actor and time (the move itself:
opportunities/store.enter, decided by transitions.py)."""
from __future__ import annotations


def history(rt, customer_id: str) -> list[dict]:
    return list(rt.db.stage_history.find({"customer_id": customer_id}).sort([("at", 1), ("_id", 1)]))

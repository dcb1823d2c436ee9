"""A sequence's report: enrollments by how they stand or ended, and per step what was handed to the
outbox, sent, failed (parked after its retries), skipped, and what the weekly cap holds back now."""
from __future__ import annotations

from collections import Counter

from .store import get


def report(rt, sequence_id: str) -> dict:
    sequence = get(rt, sequence_id)
    statuses: Counter = Counter()
    per_step = [Counter() for _ in sequence["steps"]]
    for e in rt.db.enrollments.find({"sequence_id": sequence_id}, {"status": 1, "outcomes": 1, "step": 1,
                                                                   "capped": 1}):
        statuses[e["status"]] += 1
        if e["status"] == "active" and e.get("capped"):
            per_step[e["step"]]["waiting_for_cap"] += 1
        for outcome in e.get("outcomes") or []:
            result = outcome["result"]
            per_step[outcome["step"]]["queued" if result == "queued" else "skipped"] += 1
    for d in rt.db.deliveries.find({"sequence.sequence_id": sequence_id}, {"status": 1, "sequence.step": 1}):
        status = {"sent": "sent", "parked": "failed"}.get(d["status"])
        if status and d["sequence"]["step"] < len(per_step):
            per_step[d["sequence"]["step"]][status] += 1
    steps = [{"step": n, "channel": s["channel"], **{k: per_step[n][k] for k in (
        "queued", "sent", "failed", "skipped", "waiting_for_cap")}} for n, s in enumerate(sequence["steps"])]
    # a converted lead's enrollment merged into its contact's is one person's, counted once
    return {"sequence_id": sequence_id, "enrolled": sum(n for k, n in statuses.items() if k != "merged"),
            **{k: statuses[k] for k in ("active", "completed", "goal_reached", "unsubscribed")},
            "sent": sum(s["sent"] for s in steps), "failed": sum(s["failed"] for s in steps), "steps": steps}

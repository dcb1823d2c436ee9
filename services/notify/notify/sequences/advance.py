"""The scheduled job that moves due enrollments on, a batch at a time: each step is rendered for its
contact and handed to the outbox under the key `<enrollment id>:<step>`, so it goes exactly once per
step and recipient however often the job runs. The outbox decides what may go: a step held back by
the weekly frequency cap waits and is tried again (never dropped); an opt-out on the step's channel
ends the enrollment (the opt-out interrupts the whole sequence); no consent or no address on that
channel skips the step. After the last step the enrollment is completed."""
from __future__ import annotations

import logging
from datetime import timedelta

from crm_common import scheduler

from .. import state
from ..contacts import outbox
from ..templates import render, store as templates, variables
from . import clicks, enrollments, rules

log = logging.getLogger(__name__)

BATCH = 200
BROKEN_RETRY = timedelta(hours=1)  # an enrollment whose step failed unexpectedly does not hold the batch


def advance_due(rt, batch: int = BATCH, max_batches: int = 100) -> dict:
    counts = {"queued": 0, "capped": 0, "skipped": 0, "ended": 0}
    for _ in range(max_batches):
        scheduler.check()  # a replica that lost the job's lease takes no more enrollments
        now = rt.clock.now()
        due = list(rt.db.enrollments.find({"status": "active", "next_at": {"$lte": now}})
                   .sort("next_at", 1).limit(batch))
        if not due:
            break
        sequences = state.by_id(rt.db.sequences, [e["sequence_id"] for e in due])
        for enrollment in due:
            try:
                outcome = rt.transaction(lambda s: advance(rt, s, enrollment, sequences.get(enrollment["sequence_id"])))
            except Exception:  # noqa: BLE001 - one contact's step must not stop the others'
                log.exception("enrollment %s: its step failed; tried again later", enrollment["_id"])
                rt.db.enrollments.update_one({"_id": enrollment["_id"], "step": enrollment["step"]},
                                             {"$set": {"next_at": now + BROKEN_RETRY}})
                continue
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def advance(rt, session, enrollment: dict, sequence: dict | None) -> str:
    n = enrollment["step"]
    now = rt.clock.now()
    if sequence is None:
        enrollments.end(rt, session, {"_id": enrollment["_id"]}, "stopped", "sequence_removed")
        return "ended"
    step = sequence["steps"][n]
    template = templates.get(rt, step["template_id"])
    if template is None:
        return _moved_on(rt, session, enrollment, sequence, now, "template_missing")
    customer = state.customer(rt, session, enrollment["customer_id"]) if enrollment.get("customer_id") else None
    values = variables.for_contact(rt, enrollment["contact_id"], customer_id=enrollment.get("customer_id"),
                                   sender_id=(customer or {}).get("owner_id"))
    subject, body = render.render(template, values)
    if step["channel"] == "email":
        body = clicks.tracked(rt, body, enrollment["_id"])
    result = outbox.queue(rt, session, contact_id=enrollment["contact_id"], channel=step["channel"],
                          kind=template["kind"], subject=subject, body=body, marketing=True,
                          key=f"{enrollment['_id']}:{n}",
                          sequence={"sequence_id": sequence["_id"], "enrollment_id": enrollment["_id"], "step": n})
    if result == "capped":
        retry = rules.in_window(now + rules.CAPPED_RETRY, step.get("window"), enrollment.get("timezone"))
        rt.db.enrollments.update_one({"_id": enrollment["_id"], "step": n}, {
            "$set": {"next_at": retry, "capped": True}}, session=session)
        return "capped"
    if result == "suppressed":
        _outcome(rt, session, enrollment, n, now, result)
        enrollments.end(rt, session, {"_id": enrollment["_id"]}, "unsubscribed", f"opted_out_{step['channel']}")
        return "ended"
    return _moved_on(rt, session, enrollment, sequence, now, "queued" if result == "duplicate" else result)


def _moved_on(rt, session, enrollment: dict, sequence: dict, now, result: str) -> str:
    n = enrollment["step"]
    _outcome(rt, session, enrollment, n, now, result)
    if n + 1 >= len(sequence["steps"]):
        enrollments.end(rt, session, {"_id": enrollment["_id"]}, "completed", "last_step")
    else:
        rt.db.enrollments.update_one({"_id": enrollment["_id"], "step": n}, {"$set": {
            "step": n + 1, "capped": False,
            "next_at": rules.step_due(now, sequence["steps"][n + 1], enrollment.get("timezone"))}}, session=session)
    return "queued" if result == "queued" else "skipped"


def _outcome(rt, session, enrollment: dict, n: int, now, result: str) -> None:
    rt.db.enrollments.update_one({"_id": enrollment["_id"]}, {"$push": {"outcomes": {
        "step": n, "result": result, "at": now}}}, session=session)

"""An automation rule's `enroll` action: the rule's record's contacts go into the sequence (a lead is
its own contact; a customer, or a deal's customer, its contacts), each skipped as an enrollment by API
would be. The answer counts them, so the run log shows who was enrolled."""
from __future__ import annotations

from collections import Counter

from . import enrollments


def apply(rt, session, request: dict, action: dict) -> tuple[str, object]:
    sequence = rt.db.sequences.find_one({"_id": action["sequence_id"]}, session=session)
    if sequence is None:
        return "refused", "no_such_sequence"
    record = request.get("record") or {}
    if record.get("kind") == "lead":
        ids = [record["id"]]
    elif record.get("customer_id"):
        ids = [c["_id"] for c in rt.db.contacts.find(
            {"kind": "customer_contact", "customer_id": record["customer_id"], "removed": {"$ne": True}},
            {"_id": 1}, session=session).sort("_id", 1)]
    else:
        ids = []
    if not ids:
        return "refused", "no_contact"
    by = {"rule_id": request["rule_id"], "request_id": request["request_id"]}
    made, skipped = [], Counter()
    for contact_id in ids:
        enrollment_id, reason = enrollments.enroll_one(rt, session, sequence, contact_id, by)
        if enrollment_id:
            made.append(enrollment_id)
        else:
            skipped[reason] += 1
    return "applied", {"sequence_id": sequence["_id"], "enrollment_ids": made, "skipped_by_reason": dict(skipped)}

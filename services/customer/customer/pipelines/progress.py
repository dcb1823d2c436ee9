"""Moving a deal through its pipeline: decide the move (transitions.py, pure), record the
transition with actor and time, and publish it with what entering the stage causes (won / lost)."""
from __future__ import annotations

from crm_common.paging import new_id

from ..customers import customers
from . import pipelines, transitions


def enter_stage(rt, customer_id: str, body: dict, *, by: str, scope: dict, expected) -> dict:
    def mutate(session, customer):
        pipeline = pipelines.get(rt, customer["pipeline_id"], session)
        move = transitions.enter(pipeline, customer, body["stage"], by=by, now=customers.now(rt),
                                 loss_reason=body.get("loss_reason"))
        rt.db.stage_history.insert_one({"_id": new_id(), **move.record}, session=session)
        customer.update(move.changes)
        return move.events
    return customers.change(rt, customer_id, mutate, scope=scope, expected=expected)


def history(rt, customer_id: str) -> list[dict]:
    return list(rt.db.stage_history.find({"customer_id": customer_id}).sort([("at", 1), ("_id", 1)]))
